// A local, offline Bluesky network for onevoice's tests, started by tests/servers/bluesky.py.
// Adapted from the project's shared server recipes (start-pds.js, start-bsky-full.js).
// FULL=1: PLC + PDS + AppView (needs DB_POSTGRES_URL and REDIS_HOST); otherwise PLC + PDS only.
// Every listener is forced onto 127.0.0.1.
const net = require('node:net')
const origListen = net.Server.prototype.listen
net.Server.prototype.listen = function (...args) {
  if ((typeof args[0] === 'number' || typeof args[0] === 'string') && (args.length === 1 || typeof args[1] === 'function')) {
    args.splice(1, 0, '127.0.0.1')
  } else if (args[0] && typeof args[0] === 'object' && !args[0].host && !args[0].path) {
    args[0] = { ...args[0], host: '127.0.0.1' }
  }
  return origListen.apply(this, args)
}
const { TestNetwork, TestNetworkNoAppView } = require('@atproto/dev-env')
const t0 = Date.now()
async function main() {
  const port = (name, dflt) => parseInt(process.env[name] || dflt, 10)
  let network, info
  if (process.env.FULL === '1') {
    network = await TestNetwork.create({
      dbPostgresSchema: process.env.DB_POSTGRES_SCHEMA || 'onevoice',
      plc: { port: port('PLC_PORT', 2582) }, pds: { port: port('PDS_PORT', 2583) },
      bsky: { port: port('BSKY_PORT', 2584) }, ozone: { port: port('OZONE_PORT', 2585) },
    })
    info = { appview: network.bsky.url, appviewDid: network.bsky.ctx.cfg.serverDid }
  } else {
    network = await TestNetworkNoAppView.create({ plc: { port: port('PLC_PORT', 2582) }, pds: { port: port('PDS_PORT', 2583) } })
    info = {}
  }
  console.log(JSON.stringify({ ready: true, pds: network.pds.url, plc: network.plc.url, ...info, startupMs: Date.now() - t0 }))
  const stop = async () => { await network.close(); process.exit(0) }
  process.on('SIGTERM', stop); process.on('SIGINT', stop)
}
main().catch((e) => { console.error(e); process.exit(1) })
