// A phone's resumable photo upload, as tus-js-client (the tus project's own JavaScript client)
// does it, through one address in front of two safeloop servers that share a database and a
// photo store. The address cuts the first three PATCH connections part-way, as a weak mobile
// network does; the client must resume each time from where the servers say it stands (not
// from zero), the photo must come out byte for byte, and both servers must have taken part.
//
//   node tests/contract/tus.mjs BASE_A BASE_B TOKEN PHOTO.jpg
import { Upload } from "tus-js-client";
import crypto from "node:crypto";
import fs from "node:fs";
import net from "node:net";

const [, , baseA, baseB, token, photoPath] = process.argv;
const photo = fs.readFileSync(photoPath);
// Bytes into each of the first three PATCHes: past a whole 1 MiB part in the first two (the
// server keeps whole parts whatever happens), mid-part in the third.
const cutsAfter = [0.41, 0.38, 0.16].map((share) => Math.round(share * photo.length));
if (photo.length < 2_800_000) throw new Error(`a 12 MP photo is wanted, not ${photo.length} bytes`);
const upstreams = [baseA, baseB].map((b) => new URL(b));
const served = [0, 0];
let next = 0;
let patchConnections = 0;
let patchBytes = 0;
let cuts = 0;

const proxy = net.createServer((client) => {
  const index = next++ % upstreams.length;
  const target = upstreams[index];
  const upstream = net.connect(Number(target.port), target.hostname);
  let cutAt = null;
  let isPatch = false;
  let forwarded = 0;
  let dropping = false;
  client.on("data", (chunk) => {
    if (dropping) return;
    if (forwarded === 0) served[index] += 1;
    // Connections are kept alive: a PATCH may follow the creation on the same one.
    if (chunk.includes("PATCH /api/v1/resumable-uploads/")) {
      isPatch = true;
      patchConnections += 1;
      cutAt = cuts < cutsAfter.length ? forwarded + cutsAfter[cuts] : null;
    }
    if (cutAt !== null && forwarded + chunk.length >= cutAt) {
      chunk = chunk.subarray(0, cutAt - forwarded);
      cuts += 1;
      cutAt = null;
      dropping = true;
      // What got through reaches the server; then both sides are dropped without a word.
      setTimeout(() => {
        upstream.destroy();
        client.destroy();
      }, 200);
    }
    if (isPatch) patchBytes += chunk.length;
    forwarded += chunk.length;
    upstream.write(chunk);
  });
  upstream.on("data", (chunk) => client.write(chunk));
  upstream.on("error", () => client.destroy());
  client.on("error", () => upstream.destroy());
  upstream.on("close", () => client.destroy());
  client.on("close", () => upstream.destroy());
});
await new Promise((resolve) => proxy.listen(0, "127.0.0.1", resolve));
const address = `http://127.0.0.1:${proxy.address().port}`;

const url = await new Promise((resolve, reject) => {
  const upload = new Upload(photo, {
    endpoint: `${address}/api/v1/resumable-uploads`,
    headers: { Authorization: `Bearer ${token}` },
    metadata: { purpose: "rectification", filename: "IMG_0412.jpg", captured_at: "2026-11-30T09:30:00+08:00" },
    uploadSize: photo.length,
    retryDelays: [0, 200, 500, 1000, 2000],
    removeFingerprintOnSuccess: true,
    onError: reject,
    onSuccess: () => resolve(upload.url),
  });
  upload.start();
});

const head = await fetch(url.replace(address, baseA), {
  method: "HEAD",
  headers: { Authorization: `Bearer ${token}`, "Tus-Resumable": "1.0.0" },
});
const photoId = head.headers.get("photo-id");
const check = (ok, message) => {
  if (!ok) {
    console.error(`tus: ${message}`);
    process.exit(1);
  }
};
check(head.status === 200 && photoId, `HEAD after the upload: ${head.status}, Photo-Id ${photoId}`);
const view = await (await fetch(`${baseB}/api/v1/photos/${photoId}`, { headers: { Authorization: `Bearer ${token}` } })).json();
const sha256 = crypto.createHash("sha256").update(photo).digest("hex");
check(view.sha256 === sha256, `the stored photo is not the one sent: ${JSON.stringify(view)}`);
check(view.purpose === "rectification", `purpose ${view.purpose}`);
check(cuts === cutsAfter.length, `${cuts} connections were cut`);
check(served[0] > 0 && served[1] > 0, `both servers took part: ${served}`);
check(patchBytes < photo.length * 1.8, `resumed, not restarted: ${patchBytes} bytes sent for ${photo.length}`);
console.log(
  `tus: ${photo.length} bytes in ${patchConnections} PATCHes (${cuts} cut), ${patchBytes} bytes sent, servers ${served.join("/")}: photo ${photoId}`,
);
proxy.close();
