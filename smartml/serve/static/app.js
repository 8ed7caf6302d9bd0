// The smartml playground: plain JS, no build step, nothing fetched but this server's /api.
"use strict";

const $ = (id) => document.getElementById(id);

// ---- talking to the server ----------------------------------------------------------------
function headers(extra = {}) {
  const token = $("token").value || sessionStorage.getItem("smartml-token") || "";
  return token ? { ...extra, Authorization: `Bearer ${token}` } : extra;
}

async function call(path, options = {}) {
  const response = await fetch(path, { ...options, headers: headers(options.headers) });
  if (response.ok) return response;
  let problem = { error: `${response.status} ${response.statusText}`, hint: null };
  try { problem = await response.json(); } catch (_) { /* not JSON */ }
  if (response.status === 401) $("token-box").hidden = false;
  throw new Error(problem.error + (problem.hint ? ` — ${problem.hint}` : ""));
}

async function busy(name, work) {
  $("error").hidden = true;
  $(`${name}-busy`).hidden = false;
  try {
    await work();
  } catch (error) {
    $("error").textContent = error.message;
    $("error").hidden = false;
  } finally {
    $(`${name}-busy`).hidden = true;
  }
}

function postFile(path, blob, filename) {
  const form = new FormData();
  form.append("file", blob, filename);
  return call(path, { method: "POST", body: form }).then((r) => r.json());
}

// ---- small DOM helpers ----------------------------------------------------------------------
function el(tag, text, attributes = {}) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = text;
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, value);
  return node;
}

function fill(id, nodes) {
  $(id).replaceChildren(...nodes);
}

// "local · model · 123 ms" for a part of an answer, or its error.
function by(name, part) {
  const node = $(`by-${name}`);
  if (!node) return;
  if (!part) { node.textContent = ""; return; }
  node.classList.toggle("failed", Boolean(part.error));
  node.textContent = part.error
    ? `not answered: ${part.error}`
    : `${part.backend} · ${part.model} · ${Math.round(part.ms)} ms`;
}

const pretty = (word) => word.toLowerCase().replaceAll("_", " ");

// ---- tabs ----------------------------------------------------------------------------------
function showTab(name) {
  for (const button of document.querySelectorAll("#tabs button")) {
    button.setAttribute("aria-selected", String(button.dataset.tab === name));
  }
  for (const section of document.querySelectorAll(".tab")) {
    section.hidden = section.id !== `tab-${name}`;
  }
  if (name === "audio") loadVoices();
}

// ---- image ---------------------------------------------------------------------------------
function showImage(answer) {
  for (const name of ["faces", "labels", "text", "safe_search"]) by(name, answer[name]);
  if (answer.overlay) {
    $("overlay").src = answer.overlay.data_url;
    $("overlay").hidden = false;
  }
  $("image-size").textContent = `${answer.width} × ${answer.height} px · ${Math.round(answer.ms)} ms in all`;
  const faces = answer.faces.faces || [];
  fill("faces", faces.map((face) => {
    const moods = ["joy", "sorrow", "anger", "surprise"]
      .map((mood) => `${mood} ${pretty(face[mood])}`).join(", ");
    const [x0, y0, x1, y1] = face.box_px;
    return el("li", `${(face.confidence * 100).toFixed(0)} % at (${x0}, ${y0})–(${x1}, ${y1}), `
      + `${face.landmarks.length} landmarks; ${moods}`);
  }));
  fill("labels", (answer.labels.labels || []).map(
    (label) => el("li", `${label.description} ${(label.score * 100).toFixed(0)} %`)));
  $("ocr").textContent = answer.text.text || (answer.text.error ? "" : "(no text)");
  const safe = answer.safe_search;
  fill("safe", safe.error ? [] : ["adult", "racy", "violence", "medical", "spoof"].flatMap(
    (name) => [el("dt", name), el("dd", pretty(safe[name]))]));
}

async function sendImage(blob, filename) {
  await busy("image", async () => showImage(await postFile("/api/image", blob, filename)));
}

async function startCamera() {
  try {
    const stream = await navigator.mediaDevices.getUserMedia({ video: true });
    $("camera").srcObject = stream;
    $("camera").hidden = false;
    $("camera-snap").hidden = false;
  } catch (error) {
    $("error").textContent = `no webcam: ${error.message}`;
    $("error").hidden = false;
  }
}

async function snap() {
  const video = $("camera"), canvas = $("snapshot");
  canvas.width = video.videoWidth;
  canvas.height = video.videoHeight;
  canvas.getContext("2d").drawImage(video, 0, 0);
  const body = JSON.stringify({ data_url: canvas.toDataURL("image/jpeg", 0.92) });
  await busy("image", async () => {
    const response = await call("/api/image", {
      method: "POST", body, headers: { "Content-Type": "application/json" },
    });
    showImage(await response.json());
  });
}

// ---- text ----------------------------------------------------------------------------------
// Offsets are counted in Unicode code points (Python's), so text is sliced as an array of them.
function highlighted(text, spans) {
  const points = Array.from(text);
  const nodes = [];
  let at = 0;
  for (const span of spans.sort((a, b) => a.start - b.start)) {
    if (span.start < at) continue; // overlapping: keep the first
    nodes.push(document.createTextNode(points.slice(at, span.start).join("")));
    nodes.push(el(span.tag || "mark", points.slice(span.start, span.end).join(""), span.attributes));
    at = span.end;
  }
  nodes.push(document.createTextNode(points.slice(at).join("")));
  return nodes;
}

function sentimentColour(score) {
  const hue = score >= 0 ? 130 : 0;
  return `hsla(${hue}, 70%, 50%, ${Math.min(0.6, Math.abs(score) * 0.6 + 0.05)})`;
}

function showSentiment(text, sentiment) {
  by("sentiment", sentiment);
  if (sentiment.error) { fill("sentences", []); return; }
  fill("sentences", highlighted(text, sentiment.sentences.map((s) => ({
    start: s.begin_offset,
    end: s.begin_offset + Array.from(s.text).length,
    tag: "span",
    attributes: {
      class: "sentence", title: `score ${s.score.toFixed(2)}, magnitude ${s.magnitude.toFixed(2)}`,
      style: `background: ${sentimentColour(s.score)}`,
    },
  }))));
  $("document-sentiment").textContent = `document: score ${sentiment.score.toFixed(2)}, `
    + `magnitude ${sentiment.magnitude.toFixed(2)}, language ${sentiment.language || "?"}`;
}

function showEntities(text, entities) {
  by("entities", entities);
  const found = entities.error ? [] : entities.entities;
  fill("entities", highlighted(text, found.flatMap((entity) => entity.mentions.map((m) => ({
    start: m.begin_offset,
    end: m.begin_offset + Array.from(m.text).length,
    attributes: { class: `entity ${entity.type}`, title: `${entity.type} · ${entity.name}` },
  })))));
  fill("entity-list", found.map((entity) => el("li",
    `${entity.name} · ${pretty(entity.type)} · salience ${entity.salience.toFixed(2)}`,
    { class: `entity ${entity.type}` })));
}

// The dependency tree as nested lists: each token under its head.
function showSyntax(syntax) {
  by("syntax", syntax);
  const tokens = syntax.error ? [] : syntax.tokens;
  const children = tokens.map(() => []);
  const roots = [];
  tokens.forEach((token, i) => (token.head === i || !children[token.head]
    ? roots : children[token.head]).push(i));
  const branch = (i) => {
    const token = tokens[i];
    const lemma = token.lemma && token.lemma !== token.text ? ` · ${token.lemma}` : "";
    const item = el("li");
    item.append(el("span", token.text, { class: "token" }),
      el("small", ` ${token.pos} · ${pretty(token.dependency)}${lemma}`));
    if (children[i].length) {
      const below = el("ul");
      below.append(...children[i].map(branch));
      item.append(below);
    }
    return item;
  };
  const list = el("ul");
  list.append(...roots.map(branch));
  fill("syntax", [list]);
}

async function analyzeText() {
  const text = $("text-input").value;
  await busy("text", async () => {
    const response = await call("/api/text", {
      method: "POST", body: JSON.stringify({ text }), headers: { "Content-Type": "application/json" },
    });
    const answer = await response.json();
    showSentiment(text, answer.sentiment);
    showEntities(text, answer.entities);
    showSyntax(answer.syntax);
  });
}

// ---- audio ---------------------------------------------------------------------------------
let recorder = null;

function showTranscript(answer) {
  by("transcript", answer.transcript);
  by("language", answer.language);
  const transcript = answer.transcript.error ? { text: "", words: [] } : answer.transcript;
  fill("transcript", transcript.words.length
    ? transcript.words.flatMap((w) => [el("span", w.word, {
      class: "word", "data-start": w.start, "data-end": w.end,
      title: `${w.start.toFixed(2)}–${w.end.toFixed(2)} s`,
    }), document.createTextNode(" ")])
    : [document.createTextNode(transcript.text || "(nothing heard)")]);
  $("words").tBodies[0].replaceChildren(...transcript.words.map((w) => {
    const row = el("tr");
    row.append(el("td", w.word), el("td", w.start.toFixed(2)), el("td", w.end.toFixed(2)));
    return row;
  }));
  const spoken = answer.language;
  $("spoken-language").textContent = spoken.error ? "" : `${spoken.language}`
    + (spoken.confidence != null ? ` (${(spoken.confidence * 100).toFixed(0)} %)` : "")
    + (spoken.alternatives.length ? `; then ${spoken.alternatives.slice(0, 3)
      .map(([code, p]) => `${code} ${(p * 100).toFixed(0)} %`).join(", ")}` : "");
}

async function sendAudio(blob, filename) {
  $("recording").src = URL.createObjectURL(blob);
  $("recording").hidden = false;
  await busy("audio", async () => showTranscript(await postFile("/api/audio", blob, filename)));
}

async function toggleRecording() {
  if (recorder) { recorder.stop(); return; }
  let stream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({ audio: true });
  } catch (error) {
    $("error").textContent = `no microphone: ${error.message}`;
    $("error").hidden = false;
    return;
  }
  const chunks = [];
  recorder = new MediaRecorder(stream);
  recorder.ondataavailable = (event) => chunks.push(event.data);
  recorder.onstop = () => {
    stream.getTracks().forEach((track) => track.stop());
    const type = recorder.mimeType || "audio/webm";
    recorder = null;
    $("record").textContent = "● Record";
    sendAudio(new Blob(chunks, { type }), type.includes("ogg") ? "speech.ogg" : "speech.webm");
  };
  recorder.start();
  $("record").textContent = "■ Stop";
}

// The word being said lights up as the recording plays.
function followWords() {
  const now = $("recording").currentTime;
  for (const word of document.querySelectorAll("#transcript .word")) {
    word.classList.toggle("now", now >= Number(word.dataset.start) && now < Number(word.dataset.end));
  }
}

let voicesLoaded = false;
async function loadVoices() {
  if (voicesLoaded) return;
  voicesLoaded = true;
  try {
    const answer = await (await call("/api/voices")).json();
    $("voice").append(...answer.voices.voices.map((voice) => el("option",
      `${voice.name} (${voice.language_codes.join(", ")})`, { value: voice.name })));
  } catch (error) {
    voicesLoaded = false;
  }
}

async function speak() {
  const body = JSON.stringify({
    text: $("tts-text").value, voice: $("voice").value,
    rate: Number($("rate").value), pitch: Number($("pitch").value),
  });
  await busy("tts", async () => {
    const response = await call("/api/tts", {
      method: "POST", body, headers: { "Content-Type": "application/json" },
    });
    const h = response.headers;
    by("tts", {
      backend: h.get("x-smartml-backend"), ms: Number(h.get("x-smartml-ms")),
      model: `${h.get("x-smartml-model")} · voice ${h.get("x-smartml-voice")}`,
    });
    $("spoken").src = URL.createObjectURL(await response.blob());
    $("spoken").hidden = false;
    $("spoken").play().catch(() => { /* autoplay refused: the controls are there */ });
  });
}

// ---- video ---------------------------------------------------------------------------------
function showVideo(answer) {
  const video = answer.video;
  by("video", video);
  const length = video.duration || Math.max(1, ...video.shot_changes.map((s) => s.end));
  fill("timeline", video.shot_changes.map((shot, i) => {
    const piece = el("button", `${i + 1}`, {
      class: "shot", type: "button",
      title: `shot ${i + 1}: ${shot.start.toFixed(2)}–${shot.end.toFixed(2)} s`,
      style: `left: ${(100 * shot.start) / length}%; width: ${(100 * (shot.end - shot.start)) / length}%`,
    });
    piece.addEventListener("click", () => { $("clip").currentTime = shot.start; });
    return piece;
  }));
  fill("video-labels", video.segment_labels.map((label) => el("li",
    `${label.description} ${(Math.max(...label.segments.map((s) => s.confidence)) * 100).toFixed(0)} %`)));
  fill("shot-labels", video.shot_changes.map((shot) => {
    const found = video.shot_labels.flatMap((label) => label.segments
      .filter((s) => s.segment.start < shot.end && s.segment.end > shot.start)
      .map((s) => ({ name: label.description, confidence: s.confidence })));
    found.sort((a, b) => b.confidence - a.confidence);
    return el("li", `${shot.start.toFixed(1)}–${shot.end.toFixed(1)} s: ` + (found.slice(0, 5)
      .map((l) => `${l.name} ${(l.confidence * 100).toFixed(0)} %`).join(", ") || "(no label)"));
  }));
}

async function sendVideo(file) {
  $("clip").src = URL.createObjectURL(file);
  $("clip").hidden = false;
  await busy("video", async () => showVideo(await postFile("/api/video", file, file.name)));
}

// ---- wiring --------------------------------------------------------------------------------
function onFile(id, send) {
  $(id).addEventListener("change", (event) => {
    const file = event.target.files[0];
    if (file) send(file, file.name);
  });
}

async function greet() {
  try {
    const health = await (await fetch("/healthz")).json();
    $("server").textContent = `backend ${health.backend} · ${health.in_flight} in flight`;
  } catch (error) {
    $("server").textContent = "the server does not answer";
  }
}

document.addEventListener("DOMContentLoaded", () => {
  for (const button of document.querySelectorAll("#tabs button")) {
    button.addEventListener("click", () => showTab(button.dataset.tab));
  }
  $("token").value = sessionStorage.getItem("smartml-token") || "";
  $("token").addEventListener("change", () => sessionStorage.setItem("smartml-token", $("token").value));
  onFile("image-file", sendImage);
  onFile("audio-file", sendAudio);
  onFile("video-file", sendVideo);
  $("camera-start").addEventListener("click", startCamera);
  $("camera-snap").addEventListener("click", snap);
  $("text-go").addEventListener("click", analyzeText);
  $("record").addEventListener("click", toggleRecording);
  $("recording").addEventListener("timeupdate", followWords);
  $("speak").addEventListener("click", speak);
  for (const name of ["rate", "pitch"]) {
    $(name).addEventListener("input", () => { $(`${name}-out`).textContent = $(name).value; });
  }
  greet();
});
