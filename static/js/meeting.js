// The meeting room (issue 15): the device check, the waiting room, and the call.
//
// - The WebSocket client of the meeting's protocol (sessions_app's consumer): "hello" first;
//   the host admits, declines, sends back, removes and ends; the server answers with "state",
//   "waiting", "participants", "admitted" (ICE servers and the peers to call), "peer_joined",
//   "peer_left", "signal", and "removed" / "declined" / "sent_back" / "ended".
// - Media browser to browser (WebRTC, encrypted with DTLS-SRTP): one RTCPeerConnection per other
//   person (a mesh, up to data-max-people in the call). Only the newcomer makes offers (to every
//   peer the server lists when it is admitted), so two offers never cross; an offer from a peer
//   always replaces the connection to that peer (a reconnect starts over cleanly).
// - Removed, sent back, ended or left: every peer connection is closed and every local track is
//   stopped at once, so the other side's picture stops.
// Configuration comes from the data- attributes of #meeting (no inline script: the CSP allows
// script files from this origin only). window.meetingDebug.peers (id -> RTCPeerConnection) is
// for the browser tests.
// - With Janus (the "admitted" message carries a "janus" block), meeting-janus.js publishes to and
//   subscribes from the practice's SFU instead; the tiles, controls and lists are the same, and
//   meetingDebug.peers holds the subscriptions' connections (meetingDebug.publisher the sending one).
(function () {
  "use strict";

  const root = document.getElementById("meeting");
  if (!root) return;
  const cfg = root.dataset;
  const isHost = cfg.role === "host";
  const maxPeople = Number(cfg.maxPeople) || 4;
  const baseTitle = document.title;
  const $ = (selector, scope) => (scope || root).querySelector(selector);
  const $$ = (selector, scope) => Array.from((scope || root).querySelectorAll(selector));

  const debug = { peers: new Map(), closed: [], messages: [], publisher: null };
  window.meetingDebug = debug;

  const state = {
    ws: null,
    myId: null,
    name: cfg.name || "",
    iceServers: [],
    icePolicy: "all", // "relay": through the practice's TURN server only
    admitted: false,
    finished: false,
    connecting: false,
    retries: 0,
    retryTimer: 0,
    janus: false,
    mic: null,
    camera: null,
    screen: null,
    micOn: true,
    cameraOn: true,
    chosen: { audio: "", video: "" },
    mediaReady: Promise.resolve(false),
    mediaPending: false,
    peers: new Map(), // id -> {pc, tile, pending, remote, offerer, attempt, watchdog}
    sfu: null, // the Janus connection (meeting-janus.js) while in a Janus meeting
    names: new Map(), // id -> name
    waiting: [],
    inCall: [],
  };

  // --- small helpers ---------------------------------------------------------------------------

  function show(element, visible) {
    if (element) element.hidden = !visible;
  }

  function setStatus(text, tone) {
    $$("[data-status], [data-call-status]").forEach((element) => {
      element.replaceChildren();
      if (tone === "busy") {
        const spinner = document.createElement("span");
        spinner.className = "spinner-border spinner-border-sm me-1";
        element.append(spinner);
      } else if (tone) {
        const dot = document.createElement("span");
        dot.className = `meeting-dot meeting-dot-${tone} me-1`;
        element.append(dot);
      }
      element.append(document.createTextNode(text));
    });
  }

  let errorTimer = 0;
  function showError(text) {
    const box = $("[data-error]");
    if (!box) return;
    box.textContent = text;
    show(box, Boolean(text));
    clearTimeout(errorTimer);
    if (text) errorTimer = setTimeout(() => show(box, false), 12000);
  }

  function send(message) {
    if (state.ws && state.ws.readyState === WebSocket.OPEN) state.ws.send(JSON.stringify(message));
  }

  // Signalling is handled one message at a time, in order (an offer before its candidates).
  let queue = Promise.resolve();
  function enqueue(task) {
    queue = queue.then(task).catch((error) => console.warn("meeting:", error));
    return queue;
  }

  // --- the camera and the microphone -----------------------------------------------------------

  function constraints(kind) {
    const id = state.chosen[kind];
    if (kind === "audio") return id ? { deviceId: { exact: id } } : true;
    const size = { width: { ideal: 1280 }, height: { ideal: 720 } };
    return id ? { deviceId: { exact: id }, ...size } : size;
  }

  function getUserMedia(wanted) {
    return navigator.mediaDevices.getUserMedia(wanted);
  }

  // Start the camera and microphone unless they are on or starting already.
  function ensureMedia() {
    if (!state.mediaPending && !state.mic && !state.camera) state.mediaReady = startMedia();
    return state.mediaReady;
  }

  async function startMedia() {
    state.mediaPending = true;
    try {
      return await openMedia();
    } finally {
      state.mediaPending = false;
    }
  }

  async function openMedia() {
    show($("[data-permission-help]"), false);
    show($("[data-no-device]"), false);
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      mediaFailed({ name: "NotSupported" });
      return false;
    }
    stopLocal();
    let stream = null;
    let failure = null;
    try {
      stream = await getUserMedia({ audio: constraints("audio"), video: constraints("video") });
    } catch (error) {
      failure = error;
    }
    if (!stream && failure && failure.name !== "NotAllowedError" && failure.name !== "SecurityError") {
      // One of the two may work alone (no camera, or a camera another app holds).
      const tracks = [];
      for (const kind of ["audio", "video"]) {
        try {
          const alone = await getUserMedia({ [kind]: constraints(kind) });
          tracks.push(...alone.getTracks());
        } catch (error) {
          failure = error;
        }
      }
      if (tracks.length) stream = new MediaStream(tracks);
    }
    if (state.finished) {
      if (stream) stream.getTracks().forEach((track) => track.stop());
      return false;
    }
    if (stream) {
      state.mic = stream.getAudioTracks()[0] || null;
      state.camera = stream.getVideoTracks()[0] || null;
      if (state.mic) state.mic.enabled = state.micOn;
      if (state.camera) state.camera.enabled = state.cameraOn;
      if (!state.mic || !state.camera) mediaFailed(failure || { name: "NotFoundError" }, true);
    } else {
      mediaFailed(failure);
    }
    attachSelf();
    startMeter();
    await listDevices();
    updateControls();
    if (state.admitted) { // "Try again" in the call: the others get the new tracks
      replaceOnPeers("audio", state.mic);
      replaceOnPeers("video", outgoingVideo());
    }
    return Boolean(stream);
  }

  function mediaFailed(error, partly) {
    const name = (error && error.name) || "";
    show($(".meeting-tile-note[data-preview-note]"), false);
    const panel = $("details.meeting-area-devices"); // the host's folded device panel: open it to say why
    if (panel) panel.open = true;
    if (name === "NotAllowedError" || name === "SecurityError") {
      show($("[data-permission-help]"), true);
      return;
    }
    const box = $("[data-no-device]");
    if (!box) return;
    let text;
    if (name === "NotSupported") {
      text = "This browser cannot use a camera here. Use a current Chrome, Edge, Firefox or Safari.";
    } else if (name === "NotReadableError" || name === "AbortError") {
      text = "The camera or microphone is busy: close the other app or tab that uses it, then reload this page.";
    } else if (partly) {
      text = state.camera ? "No microphone was found: the others will see you but not hear you."
        : "No camera was found: the others will hear you but not see you.";
    } else {
      text = "No camera or microphone was found. You can still join: you will see and hear the others.";
    }
    box.textContent = text;
    show(box, true);
  }

  function stopLocal() {
    stopMeter();
    for (const key of ["mic", "camera", "screen"]) {
      if (state[key]) state[key].stop();
      state[key] = null;
    }
    $$("[data-self-video]").forEach((video) => { video.srcObject = null; });
  }

  function outgoingVideo() {
    return state.screen || state.camera;
  }

  function attachSelf() {
    const video = outgoingVideo();
    const stream = video ? new MediaStream([video]) : null;
    $$("[data-self-video]").forEach((element) => {
      element.srcObject = stream;
      element.classList.toggle("is-screen", Boolean(state.screen));
      if (stream) element.play().catch(() => {});
    });
    show($(".meeting-tile-note[data-preview-note]"), false);
    $$("[data-self-tile], .meeting-tile.is-self").forEach((tile) => {
      tile.classList.toggle("is-camera-off", !video || (!state.screen && !state.cameraOn));
    });
  }

  async function listDevices() {
    if (!navigator.mediaDevices || !navigator.mediaDevices.enumerateDevices) return;
    let devices = [];
    try {
      devices = await navigator.mediaDevices.enumerateDevices();
    } catch (error) {
      return;
    }
    fillSelect($("[data-camera-select]"), devices.filter((d) => d.kind === "videoinput"), state.camera, "Camera");
    fillSelect($("[data-mic-select]"), devices.filter((d) => d.kind === "audioinput"), state.mic, "Microphone");
  }

  function fillSelect(select, devices, track, word) {
    if (!select) return;
    const current = (track && track.getSettings && track.getSettings().deviceId) || state.chosen[word === "Camera" ? "video" : "audio"];
    select.replaceChildren();
    if (!devices.length || devices.every((d) => !d.deviceId)) {
      select.add(new Option(devices.length ? `Default ${word.toLowerCase()}` : `No ${word.toLowerCase()} found`, ""));
      select.disabled = !devices.length;
      return;
    }
    select.disabled = false;
    devices.forEach((device, index) => {
      const option = new Option(device.label || `${word} ${index + 1}`, device.deviceId);
      option.selected = device.deviceId === current;
      select.add(option);
    });
  }

  async function switchDevice(kind, deviceId) {
    state.chosen[kind] = deviceId;
    const key = kind === "audio" ? "mic" : "camera";
    if (state[key]) state[key].stop();
    state[key] = null;
    try {
      const stream = await getUserMedia({ [kind]: constraints(kind) });
      const track = stream.getTracks()[0];
      track.enabled = kind === "audio" ? state.micOn : state.cameraOn;
      state[key] = track;
      show($("[data-no-device]"), false);
    } catch (error) {
      mediaFailed(error);
    }
    if (state.finished) {
      stopLocal();
      return;
    }
    if (kind === "audio") startMeter();
    attachSelf();
    if (kind === "audio" || !state.screen) replaceOnPeers(kind, state[key]);
    updateControls();
  }

  // The microphone level (the device check): an analyser on the microphone's track.
  let audioContext = null;
  let meterSource = null;
  let meterFrame = 0;

  function startMeter() {
    stopMeter();
    const bar = $("[data-level-bar]");
    const meter = $("[data-level]");
    const Context = window.AudioContext || window.webkitAudioContext;
    if (!bar || !state.mic || !Context) return;
    try {
      audioContext = audioContext || new Context();
      if (audioContext.state === "suspended") audioContext.resume().catch(() => {});
      meterSource = audioContext.createMediaStreamSource(new MediaStream([state.mic]));
    } catch (error) {
      return;
    }
    const analyser = audioContext.createAnalyser();
    analyser.fftSize = 1024;
    meterSource.connect(analyser);
    const samples = new Uint8Array(analyser.fftSize);
    const tick = () => {
      analyser.getByteTimeDomainData(samples);
      let sum = 0;
      for (const sample of samples) {
        const x = (sample - 128) / 128;
        sum += x * x;
      }
      const level = state.micOn ? Math.min(100, Math.round(Math.sqrt(sum / samples.length) * 400)) : 0;
      bar.style.width = `${level}%`;
      meter.setAttribute("aria-valuenow", String(level));
      meterFrame = requestAnimationFrame(tick);
    };
    tick();
  }

  function stopMeter() {
    cancelAnimationFrame(meterFrame);
    if (meterSource) meterSource.disconnect();
    meterSource = null;
    const bar = $("[data-level-bar]");
    if (bar) bar.style.width = "0%";
  }

  // --- peer connections --------------------------------------------------------------------------

  const SENDING = ["sendrecv", "sendonly"];

  // A new camera or microphone track (another device, the screen, one that was missing at first).
  // Where the connection already sends that kind, the track is swapped in place; where it did not
  // (no camera when the call began), the connection is offered again with the track, which
  // replaces it on both sides.
  function replaceOnPeers(kind, track) {
    for (const entry of state.peers.values()) {
      if (entry.sfu) continue;
      const transceiver = entry.pc.getTransceivers().find((t) => !t.stopped && t.receiver.track && t.receiver.track.kind === kind);
      if (transceiver && SENDING.includes(transceiver.currentDirection)) {
        transceiver.sender.replaceTrack(track || null).catch(() => {});
      } else if (track && (!transceiver || transceiver.currentDirection)) {
        enqueue(() => offerTo(entry.id));
      }
    }
    if (state.sfu) state.sfu.replaceTrack(kind, track);
  }

  function addLocalTracks(pc, offering) {
    const audio = state.mic;
    const video = outgoingVideo();
    const stream = new MediaStream([audio, video].filter(Boolean));
    if (audio) pc.addTrack(audio, stream);
    else if (offering) pc.addTransceiver("audio", { direction: "recvonly" });
    if (video) pc.addTrack(video, stream);
    else if (offering) pc.addTransceiver("video", { direction: "recvonly" });
  }

  function peerName(id) {
    return state.names.get(id) || "Guest";
  }

  function ensureTile(id) {
    let tile = $(`[data-peer-tile][data-peer-id="${CSS.escape(String(id))}"]`);
    if (!tile) {
      tile = $("[data-tile-template]").content.firstElementChild.cloneNode(true);
      tile.dataset.peerId = String(id);
      $("[data-stage]").append(tile);
    }
    $("[data-peer-name]", tile).textContent = peerName(id);
    layoutStage();
    return tile;
  }

  function removeTile(id) {
    const tile = $(`[data-peer-tile][data-peer-id="${CSS.escape(String(id))}"]`);
    if (tile) tile.remove();
    layoutStage();
  }

  function layoutStage() {
    const stage = $("[data-stage]");
    if (stage) stage.dataset.count = String($$("[data-peer-tile]", stage).length + 1);
  }

  function tileState(entry) {
    const label = $("[data-peer-state]", entry.tile);
    const connection = entry.pc.connectionState;
    const words = { new: "Connecting…", connecting: "Connecting…", connected: "", disconnected: "Connection unsteady…", failed: "Connection failed" };
    label.textContent = words[connection] ?? "";
    entry.tile.classList.toggle("is-connected", connection === "connected");
    if (connection === "failed") retry(entry);
  }

  const MAX_ATTEMPTS = 3;
  const CONNECT_WITHIN = 12000; // ms

  // Start over (a fresh offer replaces the connection on both sides); the offerer does it, a few times.
  function retry(entry) {
    if (state.peers.get(entry.id) !== entry || !entry.offerer || entry.attempt >= MAX_ATTEMPTS) return;
    if (!state.admitted || state.finished) return;
    enqueue(() => offerTo(entry.id, entry.attempt + 1));
  }

  function makePeer(id) {
    closePeer(id, true);
    const pc = new RTCPeerConnection({ iceServers: state.iceServers, iceTransportPolicy: state.icePolicy });
    const entry = { id, pc, pending: [], remote: new MediaStream(), offerer: false, attempt: 1, tile: ensureTile(id) };
    state.peers.set(id, entry);
    debug.peers.set(id, pc);
    // A signal lost on the way (a socket that dropped at that moment) must not leave it hanging.
    entry.watchdog = setTimeout(() => {
      if (pc.connectionState !== "connected") retry(entry);
    }, CONNECT_WITHIN);
    pc.addEventListener("icecandidate", (event) => {
      if (event.candidate && state.peers.get(id) === entry) send({ type: "signal", to: id, data: { candidate: event.candidate.toJSON() } });
    });
    pc.addEventListener("track", (event) => {
      if (state.peers.get(id) !== entry) return;
      entry.remote.addTrack(event.track);
      const video = $("video", entry.tile);
      if (video.srcObject !== entry.remote) video.srcObject = entry.remote;
      play(video, entry.tile);
    });
    pc.addEventListener("connectionstatechange", () => {
      if (state.peers.get(id) === entry) tileState(entry);
    });
    tileState(entry);
    return entry;
  }

  function play(video, tile) {
    video.play().catch(() => {
      // The browser wants a click before it plays sound: play without it, offer the sound.
      video.muted = true;
      video.play().catch(() => {});
      let button = $("[data-unmute]", tile);
      if (!button) {
        button = document.createElement("button");
        button.type = "button";
        button.className = "btn btn-sm btn-light meeting-unmute";
        button.dataset.unmute = "";
        button.textContent = "Turn on sound";
        button.addEventListener("click", () => {
          video.muted = false;
          video.play().catch(() => {});
          button.remove();
        });
        tile.append(button);
      }
    });
  }

  function closePeer(id, keepTile) {
    const entry = state.peers.get(id);
    if (entry) {
      clearTimeout(entry.watchdog);
      state.peers.delete(id);
      debug.peers.delete(id);
      debug.closed.push(entry.pc);
      if (!entry.sfu) entry.pc.close();
      else if (state.sfu) state.sfu.unsubscribe(id); // janus.js closes its connection
      entry.remote.getTracks().forEach((track) => track.stop());
      const video = $("video", entry.tile);
      if (video) video.srcObject = null;
    }
    if (!keepTile) removeTile(id);
  }

  function closeAllPeers() {
    for (const id of Array.from(state.peers.keys())) closePeer(id);
    if (state.sfu) {
      state.sfu.stop();
      state.sfu = null;
      debug.publisher = null;
    }
    $$("[data-peer-tile]").forEach((tile) => tile.remove());
    layoutStage();
  }

  async function flushCandidates(entry) {
    const pending = entry.pending.splice(0);
    for (const candidate of pending) await entry.pc.addIceCandidate(candidate).catch(() => {});
  }

  async function offerTo(id, attempt) {
    if (!state.admitted || state.finished) return;
    await state.mediaReady;
    if (!state.admitted || state.finished) return;
    const entry = makePeer(id);
    entry.offerer = true;
    entry.attempt = attempt || 1;
    addLocalTracks(entry.pc, true);
    const offer = await entry.pc.createOffer();
    await entry.pc.setLocalDescription(offer);
    send({ type: "signal", to: id, data: { description: entry.pc.localDescription.toJSON() } });
  }

  async function onSignal(from, data) {
    if (!state.admitted || state.finished || !data) return;
    if (data.description && data.description.type === "offer") {
      await state.mediaReady;
      if (!state.admitted || state.finished) return;
      const mine = state.peers.get(from);
      if (mine && mine.pc.signalingState === "have-local-offer" && Number(state.myId) < Number(from)) {
        return; // both offered at once: the lower id keeps its offer, the other one answers it
      }
      const entry = makePeer(from);
      await entry.pc.setRemoteDescription(data.description);
      addLocalTracks(entry.pc, false);
      const answer = await entry.pc.createAnswer();
      await entry.pc.setLocalDescription(answer);
      send({ type: "signal", to: from, data: { description: entry.pc.localDescription.toJSON() } });
      await flushCandidates(entry);
    } else if (data.description && data.description.type === "answer") {
      const entry = state.peers.get(from);
      if (!entry || entry.pc.signalingState !== "have-local-offer") return;
      await entry.pc.setRemoteDescription(data.description);
      await flushCandidates(entry);
    } else if (data.candidate) {
      const entry = state.peers.get(from);
      if (!entry) return;
      if (!entry.pc.remoteDescription) entry.pending.push(data.candidate);
      else await entry.pc.addIceCandidate(data.candidate).catch(() => {});
    }
  }

  // --- Janus (meeting-janus.js) --------------------------------------------------------------------

  function sfuFeed(id, display, pc, stream) {
    if (!state.names.has(id) && display) state.names.set(id, display);
    const old = state.peers.get(id); // an earlier subscription to this feed, already let go
    if (old) {
      state.peers.delete(id);
      if (!old.sfu) old.pc.close();
    }
    const entry = { id, pc, pending: [], remote: stream, offerer: false, attempt: 1, tile: ensureTile(id), sfu: true };
    state.peers.set(id, entry);
    debug.peers.set(id, pc);
    pc.addEventListener("connectionstatechange", () => {
      if (state.peers.get(id) === entry) tileState(entry);
    });
    tileState(entry);
  }

  function sfuTrack(id, stream) {
    const entry = state.peers.get(id);
    if (!entry || entry.remote !== stream) return;
    const video = $("video", entry.tile);
    if (video.srcObject !== stream) video.srcObject = stream;
    play(video, entry.tile);
  }

  async function joinSfu(join) {
    await state.mediaReady;
    if (!state.admitted || state.finished || state.sfu) return; // in the room already (the socket reconnected)
    if (!window.MeetingJanus) {
      showError("The video server's script did not load. Reload the page.");
      return;
    }
    state.sfu = window.MeetingJanus.connect({
      join,
      iceServers: state.iceServers,
      iceTransportPolicy: state.icePolicy,
      tracks: () => ({ audio: state.mic, video: outgoingVideo() }),
      onPublisher(pc) { debug.publisher = pc; },
      onFeed: sfuFeed,
      onTrack: sfuTrack,
      onGone(id) { enqueue(() => closePeer(id)); },
      onEnded() { finish(isHost ? "ended_by_host" : "ended"); },
      onError: showError,
    });
  }

  // --- the protocol ------------------------------------------------------------------------------

  function wsUrl() {
    return `${location.protocol === "https:" ? "wss:" : "ws:"}//${location.host}${cfg.wsPath}`;
  }

  function connect() {
    clearTimeout(state.retryTimer);
    if (state.finished) return;
    const ws = new WebSocket(wsUrl());
    state.ws = ws;
    ws.addEventListener("open", () => {
      state.retries = 0;
      send({ type: "hello", name: state.name });
    });
    ws.addEventListener("message", (event) => {
      if (ws !== state.ws) return;
      let message;
      try {
        message = JSON.parse(event.data);
      } catch (error) {
        return;
      }
      debug.messages.push(message.type);
      const handler = handlers[message.type];
      if (handler) handler(message);
    });
    ws.addEventListener("close", (event) => {
      if (ws !== state.ws || state.finished) return;
      if (event.code === 4403) {
        finish("refused");
      } else if (event.code === 4404) {
        finish("closed");
      } else if (event.code === 4409) {
        finish("replaced"); // another tab holds this place now: no reconnecting against it
      } else if (event.code === 4410) {
        finish("over");
      } else {
        state.retries += 1;
        const delay = Math.min(10000, 1000 * 2 ** Math.min(state.retries - 1, 4));
        setStatus("Connection lost. Reconnecting…", "busy");
        state.retryTimer = setTimeout(connect, delay);
      }
    });
  }

  const handlers = {
    state(message) {
      const you = message.you || {};
      state.myId = you.id;
      if (you.status === "declined") return finish("declined");
      if (you.status === "removed") return finish("removed");
      if (isHost) {
        setStatus("The meeting is open", "on");
      } else if (you.status === "waiting") {
        state.admitted = false;
        showStep("waiting");
        setStatus("Waiting for the host to let you in…", "busy");
      }
      return undefined;
    },
    waiting(message) {
      if (isHost) renderWaiting(message.list || []);
    },
    participants(message) {
      if (!isHost) return;
      const list = (message.list || []).filter((person) => person.id !== state.myId);
      list.forEach((person) => {
        state.names.set(person.id, person.name);
        const tile = $(`[data-peer-tile][data-peer-id="${CSS.escape(String(person.id))}"]`);
        if (tile) $("[data-peer-name]", tile).textContent = person.name;
      });
      renderParticipants(list);
    },
    admitted(message) {
      state.iceServers = message.ice_servers || [];
      state.icePolicy = message.ice_transport_policy === "relay" ? "relay" : "all";
      state.janus = Boolean(message.janus);
      state.admitted = true;
      if (!isHost) {
        showStep("call");
        show($("[data-sent-back-note]"), false);
        setStatus("In the meeting", "on");
      }
      ensureMedia(); // after being sent back, the tracks were stopped
      if (state.janus) {
        (message.peers || []).forEach((peer) => state.names.set(peer.id, peer.name));
        enqueue(() => joinSfu(message.janus));
        return;
      }
      const peers = (message.peers || []).filter((peer) => peer.id !== state.myId);
      peers.forEach((peer) => state.names.set(peer.id, peer.name));
      const reachable = peers.slice(0, maxPeople - 1);
      noteFull(peers.length > reachable.length
        ? `A video meeting holds up to ${maxPeople} people: you are connected to ${reachable.length} of the ${peers.length} others.` : "");
      reachable.forEach((peer) => enqueue(() => offerTo(peer.id)));
    },
    peer_joined(message) {
      state.names.set(message.id, message.name);
      if (state.admitted && !state.peers.has(message.id)) ensureTile(message.id); // its offer follows
    },
    peer_left(message) {
      enqueue(() => closePeer(message.id));
    },
    signal(message) {
      enqueue(() => onSignal(message.from, message.data));
    },
    removed() {
      finish("removed");
    },
    declined() {
      finish("declined");
    },
    ended() {
      finish(isHost ? "ended_by_host" : "ended");
    },
    sent_back() {
      sentBack();
    },
    error(message) {
      showError(message.message || "Something went wrong.");
      updateRoomLimit(); // an Admit that was refused (the call is full) can be tried again
    },
  };

  function noteFull(text) {
    const note = $("[data-full-note]");
    if (!note) return;
    note.textContent = text;
    show(note, Boolean(text));
  }

  function sentBack() {
    state.admitted = false;
    closeAllPeers();
    stopLocal(); // nothing more leaves this browser
    showStep("waiting");
    show($("[data-sent-back-note]"), true);
    setStatus("Waiting for the host to let you in…", "busy");
    ensureMedia(); // the preview again (no connection carries it)
  }

  const FINISHED = {
    ended: ["The meeting has ended", "The host ended the meeting. Nothing was recorded."],
    ended_by_host: ["The meeting has ended", "Everyone has left. Nothing was recorded."],
    removed: ["You were removed from the meeting", "The host removed you from this meeting. Nothing was recorded."],
    declined: ["The host did not let you in", "Contact your practitioner if you think this is a mistake."],
    left: ["You left the meeting", "You can join again while the session lasts."],
    refused: ["This meeting cannot be joined here", "Your link or your login does not let you into this meeting."],
    replaced: ["The meeting is open in another window", "It was opened in another window or tab, which has it now. Close this one."],
    over: ["The session's time is over", "The meeting closed 15 minutes after the session's end. Nothing was recorded."],
    closed: ["The meeting is not open", "A meeting opens 15 minutes before its session starts and closes at its end, or when the host ends it."],
  };

  function finish(kind) {
    if (state.finished) return;
    state.finished = true;
    state.admitted = false;
    clearTimeout(state.retryTimer);
    closeAllPeers();
    stopLocal();
    const ws = state.ws;
    state.ws = null;
    if (ws && ws.readyState <= WebSocket.OPEN) ws.close(1000);
    const [title, text] = FINISHED[kind] || FINISHED.left;
    $("[data-finished-title]").textContent = title;
    $("[data-finished-text]").textContent = text;
    show($("[data-join-again]"), kind === "left");
    if (isHost) {
      show($("[data-room]"), false);
      show($("[data-finished]"), true);
      setStatus(title);
    } else {
      showStep("finished");
    }
    document.title = `${title} · ${baseTitle}`;
    const heading = $("[data-finished-title]");
    if (heading) heading.focus();
  }

  // --- the pages ---------------------------------------------------------------------------------

  function showStep(step) {
    $$("[data-step]").forEach((section) => show(section, section.dataset.step === step));
    if (step === "waiting") {
      const heading = $("#waiting-title");
      if (heading) heading.focus({ preventScroll: true });
    }
  }

  function renderWaiting(list) {
    state.waiting = list;
    const ul = $("[data-waiting-list]");
    ul.replaceChildren();
    list.forEach((person) => {
      const item = $("[data-waiting-template]").content.firstElementChild.cloneNode(true);
      item.dataset.id = String(person.id);
      $("[data-name]", item).textContent = person.name;
      ul.append(item);
    });
    show($("[data-waiting-empty]"), list.length === 0);
    $("[data-waiting-panel]").classList.toggle("is-empty", list.length === 0);
    const count = $("[data-waiting-count]");
    count.textContent = String(list.length);
    show(count, list.length > 0);
    show($("[data-admit-all]"), list.length > 1);
    document.title = list.length ? `(${list.length} waiting) ${baseTitle}` : baseTitle;
    updateRoomLimit();
  }

  function renderParticipants(list) {
    state.inCall = list;
    const ul = $("[data-participants-list]");
    ul.replaceChildren();
    list.forEach((person) => {
      const item = $("[data-participant-template]").content.firstElementChild.cloneNode(true);
      item.dataset.id = String(person.id);
      $("[data-name]", item).textContent = person.name;
      if (person.role === "host") {
        $("[data-actions]", item).remove();
        $("[data-name]", item).append(document.createTextNode(" (host)"));
      }
      ul.append(item);
    });
    show($("[data-participants-empty]"), list.length === 0);
    updateRoomLimit();
  }

  function updateRoomLimit() {
    if (!isHost) return;
    const people = state.inCall.length + 1;
    const full = !state.janus && people >= maxPeople;
    $$("[data-admit]").forEach((button) => { button.disabled = full; });
    const admitAll = $("[data-admit-all]");
    if (admitAll) admitAll.disabled = !state.janus && people + state.waiting.length > maxPeople;
    noteFull(!state.janus && (full || people + state.waiting.length > maxPeople) && state.waiting.length
      ? `A video meeting holds up to ${maxPeople} people (each browser sends its video to every other one). Send someone back to the waiting room to admit another.`
      : "");
  }

  function updateControls() {
    $$("[data-toggle-mic]").forEach((button) => {
      button.disabled = !state.mic;
      button.setAttribute("aria-pressed", String(!state.micOn));
      button.classList.toggle("is-off", !state.micOn);
      $("i", button).className = state.micOn ? "bi bi-mic-fill" : "bi bi-mic-mute-fill";
      $("span", button).textContent = state.micOn ? "Mute" : "Unmute";
    });
    $$("[data-toggle-camera]").forEach((button) => {
      button.disabled = !state.camera;
      button.setAttribute("aria-pressed", String(!state.cameraOn));
      button.classList.toggle("is-off", !state.cameraOn);
      $("i", button).className = state.cameraOn ? "bi bi-camera-video-fill" : "bi bi-camera-video-off-fill";
      $("span", button).textContent = state.cameraOn ? "Stop video" : "Start video";
    });
    $$("[data-toggle-share]").forEach((button) => {
      button.hidden = !(navigator.mediaDevices && navigator.mediaDevices.getDisplayMedia);
      button.setAttribute("aria-pressed", String(Boolean(state.screen)));
      button.classList.toggle("is-on", Boolean(state.screen));
      $("span", button).textContent = state.screen ? "Stop sharing" : "Share screen";
    });
    const flags = $("[data-self-flags]");
    if (flags) flags.textContent = [state.micOn ? "" : "muted", state.cameraOn ? "" : "video off"].filter(Boolean).join(", ");
    attachSelf();
  }

  async function toggleShare() {
    if (state.screen) {
      stopShare();
      return;
    }
    let stream;
    try {
      stream = await navigator.mediaDevices.getDisplayMedia({ video: true, audio: false });
    } catch (error) {
      return; // the person chose nothing
    }
    if (state.finished) {
      stream.getTracks().forEach((track) => track.stop());
      return;
    }
    state.screen = stream.getVideoTracks()[0];
    state.screen.addEventListener("ended", stopShare);
    replaceOnPeers("video", state.screen);
    updateControls();
  }

  function stopShare() {
    if (!state.screen) return;
    const track = state.screen;
    state.screen = null;
    track.stop();
    replaceOnPeers("video", state.camera);
    updateControls();
  }

  // --- wiring ------------------------------------------------------------------------------------

  root.addEventListener("click", (event) => {
    const button = event.target.closest("button");
    if (!button || !root.contains(button)) return;
    const item = button.closest("[data-id]");
    const id = item ? item.dataset.id : null;
    const personId = id === null ? null : (Number.isNaN(Number(id)) ? id : Number(id));
    if (audioContext && audioContext.state === "suspended") audioContext.resume().catch(() => {});
    if (button.matches("[data-admit]")) {
      send({ type: "admit", id: personId });
      button.disabled = true;
    } else if (button.matches("[data-decline]")) {
      send({ type: "decline", id: personId });
      item.remove();
    } else if (button.matches("[data-admit-all]")) {
      send({ type: "admit_all" });
    } else if (button.matches("[data-send-back]")) {
      send({ type: "send_back", id: personId });
      enqueue(() => closePeer(personId));
    } else if (button.matches("[data-remove]")) {
      const name = item.querySelector("[data-name]").textContent;
      if (!window.confirm(`Remove ${name} from the meeting? They cannot come back in.`)) return;
      send({ type: "remove", id: personId });
      enqueue(() => closePeer(personId));
    } else if (button.matches("[data-end-meeting]")) {
      if (!window.confirm("End the meeting for everyone? Nobody can join it again.")) return;
      send({ type: "end" });
      setTimeout(() => finish("ended_by_host"), 3000); // in case the answer does not come
    } else if (button.matches("[data-leave]")) {
      finish("left");
    } else if (button.matches("[data-toggle-mic]")) {
      state.micOn = !state.micOn;
      if (state.mic) state.mic.enabled = state.micOn;
      updateControls();
    } else if (button.matches("[data-toggle-camera]")) {
      state.cameraOn = !state.cameraOn;
      if (state.camera) state.camera.enabled = state.cameraOn;
      updateControls();
    } else if (button.matches("[data-toggle-share]")) {
      toggleShare();
    } else if (button.matches("[data-retry-media]")) {
      state.mediaReady = startMedia();
    }
  });

  root.addEventListener("change", (event) => {
    if (event.target.matches("[data-camera-select]")) switchDevice("video", event.target.value);
    if (event.target.matches("[data-mic-select]")) switchDevice("audio", event.target.value);
  });

  const form = $("[data-join-form]");
  const nameInput = form ? $("[data-name-input]", form) : null;
  const nameKey = `meeting-name:${cfg.wsPath}`; // this link's name, for "Join again" in this tab
  if (nameInput && !nameInput.value) {
    try {
      nameInput.value = sessionStorage.getItem(nameKey) || "";
    } catch (error) { /* storage off */ }
  }
  if (form) {
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const input = $("[data-name-input]", form);
      if (input) {
        const name = input.value.trim();
        input.classList.toggle("is-invalid", name.length < 2);
        if (name.length < 2) {
          input.focus();
          return;
        }
        state.name = name;
        try {
          sessionStorage.setItem(nameKey, name);
        } catch (error) { /* storage off */ }
      }
      $("[data-join]", form).disabled = true;
      showStep("waiting");
      setStatus("Connecting…", "busy");
      connect();
    });
  }

  if (navigator.mediaDevices && navigator.mediaDevices.addEventListener) {
    navigator.mediaDevices.addEventListener("devicechange", () => listDevices());
  }

  window.addEventListener("pagehide", () => {
    if (state.finished) return;
    state.finished = true;
    closeAllPeers();
    stopLocal();
    if (state.ws) state.ws.close(1000);
  });

  // The host is in the room at once; a participant checks the devices, then joins.
  state.mediaReady = startMedia();
  updateControls();
  if (isHost) connect();
})();
