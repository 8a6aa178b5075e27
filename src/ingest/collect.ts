// Turns what the user gave the page — a dropped folder (walked recursively with
// webkitGetAsEntry) or a file input's FileList — into relative paths with their files.
import type { FolderFile } from './run';

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
    out.push({ path, size: file.size, file });
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
  const files = Array.from(list).map((file) => ({ path: file.webkitRelativePath || file.name, size: file.size, file }));
  const root = files[0]?.path.includes('/') ? files[0].path.split('/')[0] : 'Chosen files';
  return { files: stripCommonRoot(files), rootName: root };
}

/** Removes a leading folder shared by every path ("flickr8k/Images/a.jpg" → "Images/a.jpg"). */
export function stripCommonRoot(files: FolderFile[]): FolderFile[] {
  if (!files.length || !files.every((f) => f.path.includes('/'))) return files;
  const root = files[0].path.split('/')[0];
  if (!files.every((f) => f.path.startsWith(root + '/'))) return files;
  return files.map((f) => ({ ...f, path: f.path.slice(root.length + 1) }));
}
