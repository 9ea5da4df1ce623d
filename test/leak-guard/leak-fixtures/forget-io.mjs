// Fire and forget with I/O: the audit is sent (or written, or looked up, or queued) and
// not awaited; the handler returns while it is still under way, holding this request.
import { lookup } from 'node:dns'
import { writeFile } from 'node:fs'
import { writeFile as writeFileAsync } from 'node:fs/promises'
import { request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const auditFile = (name) => join(tmpdir(), `leak-audit-${process.pid}-${name}.json`)

export const base = async (event) => {
  const { kind, token } = JSON.parse(event.body)
  if (kind === 'http') {
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' }
    const audit = request(process.env.AUDIT_URL, { method: 'POST', headers })
    audit.on('error', () => {})
    audit.end(event.body)
  } else if (kind === 'fetch') {
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' }
    fetch(process.env.AUDIT_URL, { method: 'POST', headers, body: event.body }).catch(() => {})
  } else if (kind === 'file') {
    writeFileAsync(auditFile('promise'), event.body)
  } else if (kind === 'file-callback') {
    writeFile(auditFile('callback'), event.body, () => {})
  } else if (kind === 'dns') {
    lookup('localhost', () => {})
  } else if (kind === 'tick') {
    process.nextTick(() => console.log(`audit queued (${event.body.length} bytes)`))
  }
  return { statusCode: 200, body: JSON.stringify({ ok: true }) }
}
