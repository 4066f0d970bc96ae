// A client team's first program, written against the types openapi-typescript generates from
// openapi/openapi.json and the openapi-fetch client, with no glue: scripts/contract compiles
// it under `tsc --strict` and runs it against a server filled by `safeloop demo`.
//
//   node usage.js http://127.0.0.1:PORT PHOTO.jpg

import { readFileSync } from "node:fs";
import createClient from "openapi-fetch";
import type { components, paths } from "./schema.js";

type Hazard = components["schemas"]["HazardView"];
type Status = components["schemas"]["HazardStatus"];
type Problem = components["schemas"]["Problem"];

const [baseUrl, photoPath] = process.argv.slice(2);
if (!baseUrl || !photoPath) throw new Error("usage: node usage.js BASE_URL PHOTO.jpg");
const api = createClient<paths>({ baseUrl });

function check(condition: boolean, what: string): asserts condition {
  if (!condition) throw new Error(`contract client: ${what}`);
}

async function signIn(username: string): Promise<{ Authorization: string }> {
  const { data, error } = await api.POST("/api/v1/auth/login", {
    body: { username, password: "safeloop-demo" },
  });
  check(data !== undefined, `login ${username}: ${JSON.stringify(error)}`);
  check(data.token_type === "Bearer", "token_type");
  return { Authorization: `Bearer ${data.access_token}` };
}

async function upload(auth: { Authorization: string }, purpose: components["schemas"]["PhotoPurpose"]) {
  const bytes = readFileSync(photoPath!);
  const { data, error } = await api.POST("/api/v1/photos", {
    headers: auth,
    body: { file: "", purpose },
    bodySerializer() {
      const form = new FormData();
      form.append("purpose", purpose);
      form.append("file", new Blob([bytes], { type: "image/jpeg" }), "photo.jpg");
      return form;
    },
  });
  check(data !== undefined, `upload: ${JSON.stringify(error)}`);
  return data;
}

async function main(): Promise<void> {
  const inspector = await signIn("demo-inspector");
  const enterprise = await signIn("demo-enterprise");
  const supervisor = await signIn("demo-supervisor");

  // A list with filters, typed down to the status enum.
  const open = await api.GET("/api/v1/hazards", {
    headers: inspector,
    params: { query: { status: "open", level: "general", limit: 20 } },
  });
  check(open.data !== undefined, "list");
  const statuses: Status[] = open.data.items.map((h: Hazard) => h.status);
  check(statuses.every((s) => s === "open"), `filtered statuses ${statuses}`);

  const plants = await api.GET("/api/v1/enterprises", {
    headers: inspector,
    params: { query: { sector: "fireworks" } },
  });
  const plant = plants.data?.items[0];
  check(plant !== undefined, "the demo plant");

  // A photo, then a hazard reported with it.
  const photo = await upload(inspector, "hazard");
  const id = crypto.randomUUID();
  const deadline = new Date(Date.now() + 7 * 86_400_000).toISOString();
  const reported = await api.POST("/api/v1/hazards", {
    headers: inspector,
    params: { header: { "Idempotency-Key": `report-${id}` } },
    body: {
      id, enterprise_id: plant.id, level: "general", description: "配电箱门未关闭",
      deadline, responsible_person: "王安全", measures: "关闭并上锁", photo_ids: [photo.id],
    },
  });
  check(reported.response.status === 201, `report: ${reported.response.status}`);
  check(reported.response.headers.get("Location") === `/api/v1/hazards/${id}`, "Location");

  // The loop, each step with the ETag it acted on and a key that makes a retry safe.
  let etag = reported.response.headers.get("ETag") ?? "";
  const step = async (
    who: { Authorization: string },
    body: components["schemas"]["TransitionRequest"],
  ): Promise<Hazard> => {
    const key = `${body.action}-${id}`;
    const sent = {
      headers: who,
      params: { path: { id }, header: { "If-Match": etag, "Idempotency-Key": key } },
      body,
    };
    const { data, error, response } = await api.POST("/api/v1/hazards/{id}/transitions", sent);
    check(data !== undefined, `${body.action}: ${JSON.stringify(error)}`);
    const replay = await api.POST("/api/v1/hazards/{id}/transitions", sent);
    check(replay.response.headers.get("Idempotency-Replayed") === "true", "the retry is a replay");
    check(replay.response.headers.get("ETag") === response.headers.get("ETag"), "the replay's ETag");
    etag = response.headers.get("ETag") ?? "";
    return data;
  };
  const proof = await upload(enterprise, "rectification");
  await step(enterprise, { action: "submit_rectification", note: "已关闭上锁", photo_ids: [proof.id] });
  await step(inspector, { action: "verify_pass", note: "复查合格" });
  const closed = await step(supervisor, { action: "approve_closure" });
  check(closed.status === "closed", `closed: ${closed.status}`);

  // A stale ETag is a typed problem.
  const stale = await api.POST("/api/v1/hazards/{id}/transitions", {
    headers: supervisor,
    params: { path: { id }, header: { "If-Match": '"1"' } },
    body: { action: "cancel", note: "重复" },
  });
  const problem: Problem | undefined = stale.error;
  check(stale.response.status === 412 && problem?.code === "version_mismatch", "412 problem");

  // The photo back, resumed from its 100th byte; the ledger as XLSX bytes.
  const part = await api.GET("/api/v1/photos/{id}/content", {
    headers: { ...inspector, Range: "bytes=100-" },
    params: { path: { id: photo.id } },
    parseAs: "arrayBuffer",
  });
  check(part.response.status === 206, `range: ${part.response.status}`);
  check(part.data instanceof ArrayBuffer && part.data.byteLength === photo.size - 100, "range bytes");
  const ledger = await api.GET("/api/v1/hazards/export", {
    headers: supervisor,
    params: { query: { format: "xlsx" } },
    parseAs: "arrayBuffer",
  });
  check(ledger.data instanceof ArrayBuffer && new Uint8Array(ledger.data)[0] === 0x50, "an XLSX (zip)");

  const figures = await api.GET("/api/v1/stats", { headers: supervisor, params: { query: { group_by: "sector" } } });
  check((figures.data?.hazards_closed ?? 0) >= 2, "the figures count the closure");
  console.log("contract client: login, filters, upload, the loop with If-Match and Idempotency-Key, range, export: ok");
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
