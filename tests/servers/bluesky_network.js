// A local, offline Bluesky network for onevoice's tests, started by tests/servers/bluesky.py.
//
// Provenance: adapted from the project's shared server recipes (/work/shared/recipes/servers/start-pds.js and
// start-bsky-full.js, written for this project); it drives @atproto/dev-env 0.3.215 and @atproto/pds 0.4.217
// (MIT licence, https://github.com/bluesky-social/atproto), installed from npm into a cache outside the repository.
//
//   FULL=0 (default): did:plc directory + PDS (TestNetworkNoAppView). Records, blobs, sessions; no app.bsky views.
//   FULL=1: + AppView (bsky, with its dataplane and bsync) + Ozone (TestNetwork); needs DB_POSTGRES_URL and REDIS_HOST
//           (dev-env asserts REDIS_HOST; the AppView of this version never connects to it).
// env: PLC_PORT, PDS_PORT, BSKY_PORT, OZONE_PORT, DB_POSTGRES_URL, DB_POSTGRES_SCHEMA; TMPDIR (the PDS data and blob
// folders go there, so the caller can remove them).
// Prints one JSON line {"ready":true,...} on stdout when every service answers. Stops on SIGTERM/SIGINT and when
// its stdin closes (the test process that started it is gone), so no network outlives its test session.

// Every listener on loopback: express's app.listen(port) and friends would bind all interfaces.
const net = require('node:net')
const WILDCARD = new Set([undefined, null, '', '0.0.0.0', '::', '::0'])
const origListen = net.Server.prototype.listen
net.Server.prototype.listen = function (...args) {
  const first = args[0]
  if (typeof first === 'number' || (typeof first === 'string' && /^\d+$/.test(first))) {
    if (typeof args[1] === 'string' || args[1] === null || args[1] === undefined) {
      if (args.length >= 2 && WILDCARD.has(args[1])) args[1] = '127.0.0.1'
      else if (args.length < 2) args.push('127.0.0.1')
    } else {
      args.splice(1, 0, '127.0.0.1')       // listen(port, backlog|callback)
    }
  } else if (first === undefined || typeof first === 'function') {
    args.unshift(0, '127.0.0.1')           // listen() / listen(cb): a random port, on loopback
  } else if (first && typeof first === 'object' && !first.path && !first.fd && !first._handle && !first.handle) {
    if (WILDCARD.has(first.host)) args[0] = { ...first, host: '127.0.0.1' }
  }
  return origListen.apply(this, args)
}

const { TestNetwork, TestNetworkNoAppView } = require('@atproto/dev-env')
const t0 = Date.now()
const port = (name) => parseInt(process.env[name] || '0', 10) || undefined

async function main () {
  let network
  let info = {}
  if (process.env.FULL === '1') {
    network = await TestNetwork.create({
      dbPostgresUrl: process.env.DB_POSTGRES_URL,
      dbPostgresSchema: process.env.DB_POSTGRES_SCHEMA || 'onevoice',
      plc: { port: port('PLC_PORT') },
      pds: { port: port('PDS_PORT') },
      bsky: { port: port('BSKY_PORT') },
      ozone: { port: port('OZONE_PORT') }
    })
    info = { appview: network.bsky.url, appviewDid: network.bsky.ctx.cfg.serverDid, ozone: network.ozone.url }
  } else {
    network = await TestNetworkNoAppView.create({ plc: { port: port('PLC_PORT') }, pds: { port: port('PDS_PORT') } })
  }
  let stopping = false
  const stop = async () => {
    if (stopping) return
    stopping = true
    const force = setTimeout(() => process.exit(0), 10000)
    try { await network.close() } catch (e) { console.error(e) }
    clearTimeout(force)
    process.exit(0)
  }
  process.on('SIGTERM', stop)
  process.on('SIGINT', stop)
  process.stdin.on('end', stop)
  process.stdin.on('error', stop)
  process.stdin.resume()
  console.log(JSON.stringify({ ready: true, pds: network.pds.url, plc: network.plc.url, ...info,
    adminPassword: 'admin-pass', startupMs: Date.now() - t0 }))
}
main().catch((e) => { console.error(e); process.exit(1) })
