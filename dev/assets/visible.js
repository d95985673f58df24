// Text shown on the page with its control characters made visible, as the server does for the text
// it sends (dev/control-characters.ts): a thread id travels as it is, to name its thread when the
// page sends it back, so the page escapes it where it shows it — a bidi override in an id must not
// reorder the line it is shown in (Trojan Source).

// eslint-disable-next-line no-control-regex -- finding control characters is the point
const CONTROLS = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

/**
 * `text` with C0 controls (but tab and newline), DEL and C1 controls as `\xHH`, and the bidi
 * embeddings, overrides and isolates as `\uHHHH`: what dev/control-characters.ts makes of it.
 * @param {string} text
 */
export function visible(text) {
  return String(text)
    .replaceAll('\r\n', '\n')
    .replace(CONTROLS, (character) => {
      const code = character.charCodeAt(0);
      return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
    });
}

/** Data as indented JSON, made visible (a thread id in it is sent as it is). @param {unknown} value */
export function visibleJson(value) {
  return visible(JSON.stringify(value ?? null, null, 2));
}
