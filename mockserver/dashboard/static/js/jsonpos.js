// A small JSON parser that remembers where every value sits in the text, so
// that a schema violation's JSON pointer can be shown at its line in the
// payload editor. It checks syntax as strictly as JSON.parse, but produces
// positions instead of values (the text itself is what gets sent, so number
// literals and key order are never changed).

/** A syntax error with its offset, line and column (1-based). */
export class JSONSyntaxError extends Error {
  constructor(message, text, offset) {
    const { line, col } = lineCol(text, offset);
    super(`${message} at line ${line}, column ${col}`);
    this.offset = offset;
    this.line = line;
    this.col = col;
  }
}

/** Returns the 1-based line and column of offset in text. */
export function lineCol(text, offset) {
  let line = 1;
  let last = -1;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      last = i;
    }
  }
  return { line, col: offset - last };
}

/** Escapes one reference token of an RFC 6901 JSON pointer. */
export function escapeToken(s) {
  return String(s).replaceAll("~", "~0").replaceAll("/", "~1");
}

/**
 * Parses text and returns a Map from each value's JSON pointer ("" is the
 * root) to { start, end, keyStart }: the offsets of the value and, for an
 * object member, of its key. Throws JSONSyntaxError on invalid JSON.
 */
export function locate(text) {
  const spans = new Map();
  let i = 0;
  const fail = (msg) => {
    throw new JSONSyntaxError(msg, text, i);
  };
  const ws = () => {
    while (i < text.length) {
      const c = text[i];
      if (c === " " || c === "\t" || c === "\n" || c === "\r") i++;
      else break;
    }
  };
  const str = () => {
    const start = i;
    i++; // opening quote
    let out = "";
    while (true) {
      if (i >= text.length) fail("Unterminated string");
      const c = text[i];
      if (c === '"') {
        i++;
        return { value: out, start };
      }
      if (c === "\\") {
        const e = text[i + 1];
        const simple = { '"': '"', "\\": "\\", "/": "/", b: "\b", f: "\f", n: "\n", r: "\r", t: "\t" };
        if (e in simple) {
          out += simple[e];
          i += 2;
        } else if (e === "u" && /^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) {
          out += String.fromCharCode(parseInt(text.slice(i + 2, i + 6), 16));
          i += 6;
        } else {
          i++;
          fail("Invalid escape in string");
        }
      } else if (c.charCodeAt(0) < 0x20) {
        fail("Control character in string (escape it)");
      } else {
        out += c;
        i++;
      }
    }
  };
  const num = () => {
    const m = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(text.slice(i, i + 400));
    if (!m || m[0] === "" || m[0] === "-") fail("Invalid number");
    i += m[0].length;
  };
  const value = (ptr, keyStart) => {
    ws();
    const start = i;
    const c = text[i];
    if (c === "{") {
      i++;
      ws();
      if (text[i] === "}") {
        i++;
      } else {
        const seen = new Set();
        while (true) {
          ws();
          if (text[i] !== '"') fail('Expected a property name in double quotes');
          const k = str();
          if (seen.has(k.value)) {
            i = k.start;
            fail(`Duplicate key "${k.value}"`);
          }
          seen.add(k.value);
          ws();
          if (text[i] !== ":") fail("Expected ':' after the property name");
          i++;
          value(`${ptr}/${escapeToken(k.value)}`, k.start);
          ws();
          if (text[i] === ",") {
            i++;
            continue;
          }
          if (text[i] === "}") {
            i++;
            break;
          }
          fail("Expected ',' or '}' after a property value");
        }
      }
    } else if (c === "[") {
      i++;
      ws();
      if (text[i] === "]") {
        i++;
      } else {
        for (let n = 0; ; n++) {
          value(`${ptr}/${n}`, undefined);
          ws();
          if (text[i] === ",") {
            i++;
            continue;
          }
          if (text[i] === "]") {
            i++;
            break;
          }
          fail("Expected ',' or ']' after an array element");
        }
      }
    } else if (c === '"') {
      str();
    } else if (c === "-" || (c >= "0" && c <= "9")) {
      num();
    } else if (text.startsWith("true", i)) {
      i += 4;
    } else if (text.startsWith("false", i)) {
      i += 5;
    } else if (text.startsWith("null", i)) {
      i += 4;
    } else if (i >= text.length) {
      fail("Unexpected end of JSON");
    } else {
      fail(`Unexpected character '${c}'`);
    }
    spans.set(ptr, { start, end: i, keyStart: keyStart ?? start });
  };
  value("", undefined);
  ws();
  if (i < text.length) fail("Unexpected text after the JSON value");
  return spans;
}

/**
 * Returns the 1-based line of the value at pointer in text, given the spans
 * from locate. A pointer that is not in the document (a missing required
 * property) falls back to its nearest ancestor that is.
 */
export function lineOfPointer(text, spans, pointer) {
  let p = pointer || "";
  while (true) {
    const s = spans.get(p);
    if (s) return lineCol(text, s.keyStart).line;
    if (p === "") return 1;
    p = p.slice(0, p.lastIndexOf("/"));
  }
}

/**
 * Re-indents valid JSON text without changing any token: strings and
 * number literals stay byte for byte (escapes included), keys keep their
 * order. Use locate first to know the text is JSON.
 */
export function reindent(text, indent = "  ") {
  let out = "";
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === "\\" ? 2 : 1;
      out += text.slice(i, j + 1);
      i = j;
      continue;
    }
    if (c === " " || c === "\n" || c === "\t" || c === "\r") continue;
    if (c === "{" || c === "[") {
      const close = c === "{" ? "}" : "]";
      let j = i + 1;
      while (j < text.length && /\s/.test(text[j])) j++;
      if (text[j] === close) {
        out += c + close;
        i = j;
        continue;
      }
      depth++;
      out += `${c}\n${indent.repeat(depth)}`;
    } else if (c === "}" || c === "]") {
      depth--;
      out += `\n${indent.repeat(depth)}${c}`;
    } else if (c === ",") {
      out += `,\n${indent.repeat(depth)}`;
    } else if (c === ":") {
      out += ": ";
    } else {
      out += c;
    }
  }
  return out;
}

/** Pretty-prints text when it is JSON (tokens kept); returns null otherwise. */
export function prettyRaw(text) {
  if (typeof text !== "string" || !text.trim()) return null;
  try {
    locate(text);
  } catch {
    return null;
  }
  return reindent(text);
}
