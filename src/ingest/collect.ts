// Turns what the user gave the page — a dropped folder (walked recursively with
// webkitGetAsEntry) or a file input's FileList — into relative paths with their files.
import type { FolderFile } from './run';

/**
 * A chosen file with its size read only when asked: Chromium stats the file on the first read of
 * File.size, synchronously on the page's main thread (3.2 s for the 8,000 files of flickr8k-224,
 * measured), and planning needs the size of the few text files only.
 */
function folderFile(path: string, file: File): FolderFile {
  return {
    path,
    file,
    get size() {
      return file.size;
    },
  };
}

function readEntries(reader: FileSystemDirectoryReader): Promise<FileSystemEntry[]> {
  return new Promise((resolve, reject) => reader.readEntries(resolve, reject));
}

function entryFile(entry: FileSystemFileEntry): Promise<File> {
  return new Promise((resolve, reject) => entry.file(resolve, reject));
}

async function walk(entry: FileSystemEntry, prefix: string, out: FolderFile[]): Promise<void> {
  const path = prefix ? `${prefix}/${entry.name}` : entry.name;
  if (entry.isFile) {
    const file = await entryFile(entry as FileSystemFileEntry);
    out.push(folderFile(path, file));
  } else if (entry.isDirectory) {
    const reader = (entry as FileSystemDirectoryEntry).createReader();
    // readEntries returns at most ~100 entries a call: read until empty.
    for (let batch = await readEntries(reader); batch.length; batch = await readEntries(reader)) {
      for (const child of batch) await walk(child, path, out);
    }
  }
}

/** Files of a drop: folders walked recursively; paths relative to the dropped item. */
export async function filesFromDrop(items: DataTransferItemList): Promise<{ files: FolderFile[]; rootName: string }> {
  const entries = Array.from(items)
    .filter((i) => i.kind === 'file')
    .map((i) => i.webkitGetAsEntry())
    .filter((e): e is FileSystemEntry => !!e);
  const out: FolderFile[] = [];
  for (const e of entries) await walk(e, '', out);
  const rootName = entries.length === 1 && entries[0].isDirectory ? entries[0].name : 'Dropped files';
  return { files: stripCommonRoot(out), rootName };
}

/** Files of an <input type=file> (with or without webkitdirectory). */
export function filesFromInput(list: FileList): { files: FolderFile[]; rootName: string } {
  const files = Array.from(list, (file) => folderFile(file.webkitRelativePath || file.name, file));
  const root = files[0]?.path.includes('/') ? files[0].path.split('/')[0] : 'Chosen files';
  return { files: stripCommonRoot(files), rootName: root };
}

/** Removes a leading folder shared by every path ("flickr8k/Images/a.jpg" → "Images/a.jpg"). */
export function stripCommonRoot(files: FolderFile[]): FolderFile[] {
  if (!files.length || !files.every((f) => f.path.includes('/'))) return files;
  const root = files[0].path.split('/')[0];
  if (!files.every((f) => f.path.startsWith(root + '/'))) return files;
  return files.map((f) => folderFile(f.path.slice(root.length + 1), f.file));
}
