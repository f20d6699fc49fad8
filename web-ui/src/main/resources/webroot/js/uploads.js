// Attachments on their way to a room. Each keeps its clientMsgId from the moment it is picked:
// one picked while Konsil is not reachable waits and goes when the connection is back, and a
// retried upload is stored once. Files stay in memory only, like everything else of a patient.

import * as api from './api.js';
import { uuid } from './dom.js';

// An upload that lost the connection while the live connection still looks fine tries again.
const RETRY_MS = 5000;

export class Uploads {
  constructor(app) {
    this.app = app;
    this.items = new Map();
  }

  /** Takes a picked or dropped file: it goes now if Konsil is reachable, else it waits. */
  add(roomId, file) {
    const item = { id: uuid(), room: roomId, file, state: 'waiting', progress: 0, error: null };
    this.items.set(item.id, item);
    if (this.app.state.connection.state === 'online') this.start(item);
    else this.changed(item);
  }

  /** The connection is back: everything that waited goes. */
  resume() {
    for (const item of this.items.values()) if (item.state === 'waiting') this.start(item);
  }

  forRoom(roomId) {
    return [...this.items.values()].filter((item) => item.room === roomId);
  }

  retry(id) {
    const item = this.items.get(id);
    if (item) this.start(item);
  }

  discard(id) {
    const item = this.items.get(id);
    if (item) {
      clearTimeout(item.timer);
      this.items.delete(id);
      this.changed(item);
    }
  }

  clear() {
    for (const item of this.items.values()) clearTimeout(item.timer);
    this.items.clear();
  }

  start(item) {
    clearTimeout(item.timer);
    item.state = 'uploading';
    item.error = null;
    this.changed(item);
    api.upload(`/rooms/${item.room}/attachments`, { clientMsgId: item.id, fileName: item.file.name }, item.file, (share) => {
      item.progress = share;
      const bar = document.querySelector(`[data-upload="${item.id}"] progress`);
      if (bar) bar.value = share;
    })
      .then(() => {
        this.items.delete(item.id);
        this.changed(item);
      })
      .catch((e) => {
        if (!this.items.has(item.id)) return;
        if (e.code === 'network_error' || e.status === 502 || e.status === 503) {
          // not reached: not a failure of the file, it waits for the connection
          item.state = 'waiting';
          item.progress = 0;
          if (this.app.state.connection.state === 'online') item.timer = setTimeout(() => this.start(item), RETRY_MS);
        } else {
          item.state = 'failed';
          item.error = e.code;
        }
        this.changed(item);
      });
  }

  changed(item) {
    if (this.app.roomView && this.app.roomView.roomId === item.room) this.app.roomView.renderUploads();
  }
}
