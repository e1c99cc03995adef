// The V8 flags every City IOC server process runs with: `npm start`, `npm run cluster`, and the
// bench's server processes (so `npm run bench` measures the server as shipped). A deployment that
// runs `node dist-server/main.mjs` itself passes the same flags (README, "Production layout").
//
// --max-semi-space-size=64: the young generation may grow to 2 × 64 MB instead of V8's 2 × 16 MB.
// A busy server allocates a short-lived object graph per message (packet, JSON, reading, promise);
// with 16 MB it is scavenged so often that survivors are copied again and again and promoted into
// the old generation, which then needs full collections. Measured on the MQTT ingest of
// `npm run bench -- --only mqtt` (2,000 devices, 100 screens): garbage collection fell from 26 % to
// 14 % of the server's time at 15,000 readings/s (CPU profiles); the ceiling moved within noise
// (15,166–18,588 readings/s over three runs, against 15,162 without: above it the publishers, the
// screens and the server saturate the 2 cores together). It costs up to ≈ 100 MB more resident
// memory under load, nothing when idle.
export const SERVER_NODE_FLAGS = ['--max-semi-space-size=64'];
