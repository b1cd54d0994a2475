export interface ProcessResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs an external program (nginx) with a time limit. Never throws for a non-zero exit. */
export abstract class ProcessRunner {
  abstract run(command: string, args: readonly string[], timeoutMs: number): Promise<ProcessResult>;
}
