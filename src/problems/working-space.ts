/**
 * Room to work under each part of a printed worksheet: none, what a printed exam has (some), or
 * lots. A bank may set it (`workingSpace`); `gradsheet render --working-space` overrides it. A
 * module of its own, so the render command can check its option before anything heavy loads.
 */
export const WORKING_SPACES = ['none', 'some', 'lots'] as const;
export type WorkingSpace = (typeof WORKING_SPACES)[number];
export const DEFAULT_WORKING_SPACE: WorkingSpace = 'some';

export function isWorkingSpace(value: string): value is WorkingSpace {
  return (WORKING_SPACES as readonly string[]).includes(value);
}
