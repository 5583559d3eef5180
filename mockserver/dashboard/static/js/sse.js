// A Server-Sent Events client over fetch. EventSource cannot send an
// Authorization header, so the stream is read with fetch and parsed here;
// it reconnects with a growing pause and reports its state.

import { authHeaders, requestToken } from "./api.js";

/**
 * Follows the event stream at path. onEvent(type, data, id) gets every
 * event (data parsed as JSON when it is JSON); onState(state) gets
 * "connecting", "open" (also after each reconnection: list to catch up)
 * and "closed". Returns a function that stops following.
 */
export function follow(path, { onEvent, onState }) {
  let stopped = false;
  let ctrl = null;
  let wait = 500;
  let timer = null;

  const run = async () => {
    if (stopped) return;
    onState("connecting");
    ctrl = new AbortController();
    try {
      const res = await fetch(path, {
        headers: authHeaders({ Accept: "text/event-stream" }),
        signal: ctrl.signal,
        cache: "no-store",
      });
      if (res.status === 401) {
        await requestToken("The live log needs the server's token.");
        return schedule(0);
      }
      if (!res.ok || !res.body) throw new Error(`HTTP ${res.status}`);
      wait = 500;
      onState("open");
      await read(res.body, onEvent);
    } catch (err) {
      if (stopped || err.name === "AbortError") return;
    }
    schedule(wait);
    wait = Math.min(wait * 2, 10000);
  };
  const schedule = (ms) => {
    if (stopped) return;
    onState("closed");
    timer = setTimeout(run, ms);
  };
  run();
  return () => {
    stopped = true;
    clearTimeout(timer);
    ctrl?.abort();
  };
}

/** Reads an event stream body until it ends, dispatching each event. */
async function read(body, onEvent) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buf = "";
  let ev = { type: "", data: [], id: "" };
  while (true) {
    const { value, done } = await reader.read();
    if (done) return;
    buf += value;
    let nl;
    while ((nl = buf.search(/\r\n|\r|\n/)) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + (buf.startsWith("\r\n", nl) ? 2 : 1));
      if (line === "") {
        if (ev.data.length) dispatch(ev, onEvent);
        ev = { type: "", data: [], id: "" };
        continue;
      }
      if (line.startsWith(":")) continue; // heartbeat
      const colon = line.indexOf(":");
      const name = colon < 0 ? line : line.slice(0, colon);
      let val = colon < 0 ? "" : line.slice(colon + 1);
      if (val.startsWith(" ")) val = val.slice(1);
      if (name === "event") ev.type = val;
      else if (name === "data") ev.data.push(val);
      else if (name === "id") ev.id = val;
    }
  }
}

function dispatch(ev, onEvent) {
  const raw = ev.data.join("\n");
  let data = raw;
  try {
    data = JSON.parse(raw);
  } catch {
    // Not JSON: pass the text.
  }
  onEvent(ev.type || "message", data, ev.id);
}
