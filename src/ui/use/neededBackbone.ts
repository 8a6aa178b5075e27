// Which backbone a refused model needs, read from the model service's 'no-backbone' error (only its
// code and message cross the worker boundary): the SHA-256, and the lab's download source when the
// backbone came from one, so the Use panel can offer that download beside "choose the files". Pure.
import { BACKBONE_SOURCES, type BackboneSource } from '../../model/backboneSources';

export interface NeededBackbone {
  sha256: string;
  source: Readonly<BackboneSource> | null; // a known download, matched by its exact URL
}

/** The needed backbone for a 'no-backbone' error; null for any other error. */
export function neededBackbone(err: unknown): NeededBackbone | null {
  if ((err as { code?: string } | null)?.code !== 'no-backbone') return null;
  const message = String((err as Error).message);
  const sha = /SHA-256 ([0-9a-f]{64})/.exec(message);
  if (!sha) return null;
  const url = /downloaded from (\S+?)\.?(?:\s|$)/.exec(message)?.[1];
  return { sha256: sha[1], source: BACKBONE_SOURCES.find((s) => s.url === url) ?? null };
}
