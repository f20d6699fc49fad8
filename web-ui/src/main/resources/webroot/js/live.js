// The WebSocket connection: logs in with a single-use ticket, reconnects with backoff, and after
// every (re)connect asks the owner to resync. Sends that find no open connection wait in the
// owner's outbox; nothing here drops a message.

import { post, refresh, ProblemError } from './api.js';

const MAX_BACKOFF_MS = 30_000;
const PING_MS = 25_000;
// A connection that answers nothing, not even a ping, for this long is taken for dead.
const SILENCE_MS = 40_000;

export class LiveConnection {
  /**
   * handlers: onFrame(frame), onReady(frame), onState({state, retryInSeconds}),
   * onSessionEnded(code).
   */
  constructor(handlers) {
    this.handlers = handlers;
    this.socket = null;
    this.attempt = 0;
    this.stopped = false;
    this.ready = false;
    this.timer = null;
    this.pinger = null;
  }

  start() {
    this.stopped = false;
    this.connect();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    clearInterval(this.pinger);
    if (this.socket) this.socket.close(1000, 'logout');
    this.socket = null;
    this.ready = false;
  }

  /** Tries at once instead of waiting for the next attempt (the user's "retry now"). */
  retryNow() {
    if (this.stopped || !this.waiting) return;
    clearTimeout(this.timer);
    this.connect();
  }

  /** Sends a frame if the connection is ready; answers whether it went out. */
  send(frame) {
    if (!this.ready || !this.socket || this.socket.readyState !== WebSocket.OPEN) return false;
    this.socket.send(JSON.stringify(frame));
    return true;
  }

  async connect() {
    this.waiting = false;
    if (this.stopped) return;
    this.handlers.onState({ state: this.attempt === 0 ? 'connecting' : 'retrying' });
    let ticket;
    try {
      ticket = (await post('/ws-tickets', {})).ticket;
    } catch (e) {
      if (e instanceof ProblemError && (e.status === 401 || e.code === 'second_factor_enrolment_required')) {
        this.handlers.onSessionEnded(e.code);
        return;
      }
      this.scheduleRetry();
      return;
    }
    if (this.stopped) return;
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    const socket = new WebSocket(`${scheme}://${location.host}/api/v1/ws?ticket=${encodeURIComponent(ticket)}`);
    this.socket = socket;
    socket.onmessage = (event) => {
      this.lastHeard = Date.now();
      let frame;
      try {
        frame = JSON.parse(event.data);
      } catch (e) {
        return;
      }
      if (frame.type === 'ready') {
        this.ready = true;
        this.attempt = 0;
        this.handlers.onState({ state: 'online' });
        this.handlers.onReady(frame);
      } else if (frame.type !== 'pong') {
        this.handlers.onFrame(frame);
      }
    };
    socket.onopen = () => {
      clearInterval(this.pinger);
      this.lastHeard = Date.now();
      this.pinger = setInterval(() => {
        if (Date.now() - this.lastHeard > SILENCE_MS) {
          socket.close(4000, 'no answer');
          return;
        }
        this.send({ type: 'ping' });
      }, PING_MS / 2);
    };
    socket.onclose = async (event) => {
      if (this.socket !== socket) return;
      this.socket = null;
      this.ready = false;
      clearInterval(this.pinger);
      if (this.stopped) return;
      // 4001: authentication failed, 4003: session ended, 4004: account disabled.
      if (event.code === 4003 || event.code === 4004) {
        this.handlers.onSessionEnded(event.code === 4004 ? 'account_disabled' : 'session_ended');
        return;
      }
      if (event.code === 4001) {
        let user;
        try {
          user = await refresh();
        } catch (e) {
          // Konsil not reachable: retry below
        }
        if (user === null) {
          this.handlers.onSessionEnded('invalid_token');
          return;
        }
      }
      this.scheduleRetry();
    };
  }

  scheduleRetry() {
    if (this.stopped) return;
    const base = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** Math.min(this.attempt, 5));
    const delay = Math.round(base / 2 + Math.random() * (base / 2));
    this.attempt += 1;
    this.handlers.onState({ state: 'offline', retryInSeconds: Math.ceil(delay / 1000), retryAt: Date.now() + delay });
    clearTimeout(this.timer);
    this.waiting = true;
    this.timer = setTimeout(() => this.connect(), delay);
  }
}
