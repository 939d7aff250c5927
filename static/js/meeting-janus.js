// The meeting room's media through a Janus VideoRoom SFU (issue 15), used by meeting.js when the
// server's "admitted" message carries a "janus" block: {url, room, pin, token, id, display}.
//
// - One Janus session per page, over the node's HTTP API (janus.js, vendored from npm).
// - A publisher handle joins the room with the room's PIN and this person's token (the room's
//   allowed list holds only admitted people's tokens) under the admission's id, then sends the
//   camera and microphone (sendonly).
// - One subscriber handle per other publisher ("feed"), joined with this publisher's private_id
//   (the room has require_pvtid: a subscription belongs to a publisher in the room), recvonly.
// - Removal and End meeting are done on the server (kick, destroy): Janus closes the publisher's
//   connection and cuts its subscriptions' media; this page then drops every handle.
// window.MeetingJanus.connect(options) returns {replaceTrack(kind, track), unsubscribe(id), stop()}.
(function () {
  "use strict";

  const PLUGIN = "janus.plugin.videoroom";
  const ID_EXISTS = 436; // our previous connection (a reload, another tab) is still in the room
  const JOIN_RETRIES = 35; // every 2 s: Janus drops a dead session's publisher within 60 s

  let ready = null;
  function init() {
    if (!ready) {
      ready = new Promise((resolve) => {
        window.Janus.init({
          debug: false,
          dependencies: window.Janus.useDefaultDependencies({ adapter: window.adapter }),
          callback: resolve,
        });
      });
    }
    return ready;
  }

  function connect(options) {
    const join = options.join;
    const feeds = new Map(); // feed id -> {handle, stream}
    let session = null;
    let publisher = null;
    let privateId = null;
    let stopped = false;
    let joinTries = 0;

    function fail(text) {
      if (!stopped) options.onError(text);
    }

    function sendJoin() {
      publisher.send({
        message: {
          request: "join", ptype: "publisher", room: join.room, pin: join.pin,
          token: join.token, id: join.id, display: join.display,
        },
      });
    }

    function publish() {
      const local = options.tracks();
      const tracks = [];
      // dontStop: the tracks belong to meeting.js, which stops them itself.
      if (local.audio) tracks.push({ type: "audio", capture: local.audio, recv: false, dontStop: true });
      if (local.video) tracks.push({ type: "video", capture: local.video, recv: false, dontStop: true });
      if (!tracks.length) return; // no camera and no microphone: watch and listen only
      publisher.createOffer({
        tracks,
        success(jsep) {
          publisher.send({ message: { request: "configure", audio: Boolean(local.audio), video: Boolean(local.video) }, jsep });
          options.onPublisher(publisher.webrtcStuff.pc);
        },
        error() {
          fail("Your camera and microphone could not be sent to the video server.");
        },
      });
    }

    // What a publisher sends, as its "publishers" entries list it (a camera added later changes it).
    function streamsOf(feed) {
      return (feed.streams || []).filter((s) => !s.disabled).map((s) => `${s.mid}:${s.type}`).join(",");
    }

    function subscribe(feed) {
      const id = feed.id;
      if (stopped || id === join.id) return;
      const known = feeds.get(id);
      if (known && known.streams === streamsOf(feed)) return;
      if (known) unsubscribe(id); // it sends more (or less) now: subscribe again to all of it
      const entry = { handle: null, stream: new MediaStream(), streams: streamsOf(feed) };
      feeds.set(id, entry);
      session.attach({
        plugin: PLUGIN,
        opaqueId: `feed-${id}`,
        success(handle) {
          if (stopped || feeds.get(id) !== entry) {
            handle.detach();
            return;
          }
          entry.handle = handle;
          handle.send({
            message: {
              request: "join", ptype: "subscriber", room: join.room, pin: join.pin,
              private_id: privateId, streams: [{ feed: id }],
            },
          });
        },
        error() {
          feeds.delete(id);
        },
        onmessage(message, jsep) {
          if (!entry.handle || feeds.get(id) !== entry) return;
          if (message.error) {
            unsubscribe(id);
            options.onGone(id);
            return;
          }
          if (!jsep) return;
          entry.handle.createAnswer({
            jsep,
            tracks: [{ type: "data" }], // audio and video are accepted as recvonly: nothing is sent back
            success(answer) {
              entry.handle.send({ message: { request: "start", room: join.room }, jsep: answer });
              options.onFeed(id, feed.display || "", entry.handle.webrtcStuff.pc, entry.stream);
            },
            error() {
              fail("A participant's video could not be received.");
            },
          });
        },
        onremotetrack(track, mid, on) {
          if (feeds.get(id) !== entry) return;
          if (on) {
            if (!entry.stream.getTracks().includes(track)) entry.stream.addTrack(track);
            options.onTrack(id, entry.stream);
          } else {
            entry.stream.getTracks().filter((t) => t.id === track.id).forEach((t) => entry.stream.removeTrack(t));
          }
        },
      });
    }

    function unsubscribe(id) {
      const entry = feeds.get(id);
      if (!entry) return;
      feeds.delete(id);
      if (entry.handle) entry.handle.detach();
    }

    function onPublisherMessage(message, jsep) {
      const event = message.videoroom;
      if (event === "joined") {
        privateId = message.private_id;
        publish();
        (message.publishers || []).forEach(subscribe);
      } else if (event === "event") {
        (message.publishers || []).forEach(subscribe);
        for (const gone of [message.leaving, message.unpublished]) {
          if (gone === undefined || gone === "ok") continue; // "ok": this page itself (the socket says why)
          unsubscribe(gone);
          options.onGone(gone);
        }
        if (message.error_code === ID_EXISTS && joinTries < JOIN_RETRIES) {
          joinTries += 1;
          setTimeout(() => { if (!stopped) sendJoin(); }, 2000);
        } else if (message.error_code) {
          fail("The video server refused to let you in. Ask the host to admit you again.");
        }
      } else if (event === "destroyed") {
        options.onEnded();
      }
      if (jsep) publisher.handleRemoteJsep({ jsep });
    }

    init().then(() => {
      if (stopped) return;
      session = new window.Janus({
        server: join.url,
        iceServers: options.iceServers,
        iceTransportPolicy: options.iceTransportPolicy,
        success() {
          if (stopped) {
            session.destroy({ notifyDestroyed: false });
            return;
          }
          session.attach({
            plugin: PLUGIN,
            opaqueId: `publisher-${join.id}`,
            success(handle) {
              publisher = handle;
              sendJoin();
            },
            error() {
              fail("The video server could not open the meeting.");
            },
            onmessage: onPublisherMessage,
          });
        },
        error() {
          fail("The practice's video server could not be reached. Check your connection; the page keeps trying.");
        },
      });
    });

    return {
      replaceTrack(kind, track) {
        if (stopped || privateId === null) return; // not in the room yet: publish() takes the tracks as they are
        const pc = publisher.webrtcStuff && publisher.webrtcStuff.pc;
        const transceiver = pc && pc.getTransceivers().find((t) => !t.stopped && t.receiver.track && t.receiver.track.kind === kind);
        if (transceiver && ["sendrecv", "sendonly"].includes(transceiver.currentDirection)) {
          transceiver.sender.replaceTrack(track || null).catch(() => {});
        } else if (track && !pc) {
          publish(); // nothing was sent so far: publish what there is now
        } else if (track) {
          publisher.createOffer({ // a kind that was missing when publishing: add it
            tracks: [{ type: kind, capture: track, recv: false, dontStop: true, add: true }],
            success(jsep) {
              publisher.send({ message: { request: "configure", [kind]: true }, jsep });
            },
            error() {
              fail("Your camera or microphone could not be added to the call.");
            },
          });
        }
      },
      unsubscribe,
      stop() {
        if (stopped) return;
        stopped = true;
        for (const id of Array.from(feeds.keys())) unsubscribe(id);
        if (publisher) publisher.hangup();
        if (session) session.destroy({ cleanupHandles: true, notifyDestroyed: false });
      },
    };
  }

  window.MeetingJanus = { connect };
})();
