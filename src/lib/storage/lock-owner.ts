import { randomUUID } from 'node:crypto'
import { readlinkSync } from 'node:fs'
import os from 'node:os'

/** This process, as lock owners name it: host, process namespace, pid, and one id per start. */
const INSTANCE = randomUUID()
const HOST = `${os.hostname()}~${pidNamespace()}`

function pidNamespace(): string {
  try {
    return readlinkSync('/proc/self/ns/pid').replace(/\D/g, '')
  } catch {
    return '0'
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** A fresh owner name for one hold of a lock: `<host>/<pid>/<start id>/<hold id>`. */
export function lockOwnerName(): string {
  return `${HOST}/${process.pid}/${INSTANCE}/${randomUUID()}`
}

/**
 * True when `owner` names a process on this host (same pid namespace) that is gone: its pid is not
 * running, or it is our own pid under another start id (a restarted container's pid 1). Owners of
 * other hosts, and owner names of another shape, are never judged dead here; their locks run out.
 */
export function isDeadLocalOwner(owner: string): boolean {
  const [host, pid, instance] = owner.split('/')
  if (host !== HOST || !pid || !instance) return false
  if (Number(pid) === process.pid) return instance !== INSTANCE
  return !isAlive(Number(pid))
}
