export function commandLine(pid: number | string, procRoot?: string): string[] | undefined
export function isOurProcess(
  name: string,
  pid: number | undefined,
  options: {stateDir: string; port?: number; procRoot?: string},
): boolean
export function listeningInodes(port: number, procRoot?: string): string[] | undefined
export function checkListener(options: {
  name: string
  port: number
  pids: Record<string, number>
  stateDir: string
  procRoot?: string
}): {ours: true} | {ours: false; problem: string; advice: string; message: string}
export function whatToDo(ports: (number | string)[]): string
