// A PLC directory and a PDS on loopback, for Tactful's Bluesky tests: no AppView, no
// crawlers, data in a temporary folder. Prints one JSON line {"pds": URL, "plc": URL}
// once both listen, and stops when its standard input closes.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import * as plc from '@did-plc/server'
import * as pds from '@atproto/pds'

const data = mkdtempSync(join(tmpdir(), 'tactful-pds-'))
const plcServer = plc.PlcServer.create({ db: plc.Database.mock(), port: 0 })
const plcListener = await plcServer.start()
const plcUrl = `http://127.0.0.1:${plcListener.address().port}`

const env = {
  devMode: true,
  port: Number(process.env.TACTFUL_PDS_PORT || 0),
  hostname: 'localhost',
  dataDirectory: data,
  blobstoreDiskLocation: join(data, 'blobs'),
  didPlcUrl: plcUrl,
  serviceHandleDomains: ['.test'],
  inviteRequired: false,
  jwtSecret: randomBytes(16).toString('hex'),
  adminPassword: randomBytes(16).toString('hex'),
  plcRotationKeyK256PrivateKeyHex: randomBytes(32).toString('hex'),
  crawlers: [],
  rateLimitsEnabled: false,
  disableSsrfProtection: true,
}
const server = await pds.PDS.create(pds.envToCfg(env), pds.envToSecrets(env))
const listener = await server.start()
const pdsUrl = `http://127.0.0.1:${listener.address().port}`
process.stdout.write(JSON.stringify({ pds: pdsUrl, plc: plcUrl }) + '\n')

const stop = async () => {
  await server.destroy()
  await plcServer.destroy()
  rmSync(data, { recursive: true, force: true })
  process.exit(0)
}
process.stdin.on('end', stop)
process.stdin.resume()
process.on('SIGTERM', stop)
