/**
 * The transport of one node, split by carrier under transport/: the link layer and the Transport
 * class (link.ts, whose header is the theory of operation), the handshake and connection hygiene
 * (handshake.ts), the uWS listener (uws-listener.ts), the WebSocket dialer (ws-dialer.ts), the
 * unix-socket carrier (unix.ts, over stream-conn.ts's sockets, which the plain WebSocket dialer
 * shares), the burst batching every connection uses (batching.ts), the WAN emulation and faults
 * between the links and the connections (wan.ts), and the reuse of large bodies (pool.ts).
 * This file is what the rest of the package imports.
 */
export { Transport } from "./transport/link.js";
export { poolBytesMax, poolBytesMin } from "./transport/pool.js";
export { unixPathOf } from "./transport/unix.js";
export { hygieneDefaults, type FrameLoss, type Hygiene, type PeerAddress, type TransportOptions, type WanCutMode } from "./transport/types.js";
