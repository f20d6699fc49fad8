// Getting the user's attention while Konsil is open in a background tab: the unread count in the
// tab's title and as a badge on its icon, and a browser notification for a new message. Like an
// e-mail or fax of Konsil, a notification names the sender's organisation only: nothing of the
// patient or the message shows on a screen that others may see.

import { h } from './dom.js';
import { t } from './i18n.js';

const TITLE = 'Konsil';
// the icon as the page names it (its name carries a hash of its content)
const ICON = (document.querySelector('link[rel=icon]') || {}).href || '/favicon.svg';

export function notificationsSupported() {
  return 'Notification' in window;
}

/** Whether the page should ask for permission: supported and not yet decided by the user. */
export function mayAsk() {
  return notificationsSupported() && Notification.permission === 'default';
}

/** Asks for permission; call from a click (browsers ignore a request without a user gesture). */
export async function ask() {
  if (!notificationsSupported()) return 'denied';
  return Notification.requestPermission();
}

export class Attention {
  constructor(openRoom) {
    this.openRoom = openRoom;
    this.shownUnread = -1;
    this.icon = null;
  }

  /** The tab's title and icon follow the number of unread messages in all rooms. */
  unread(count) {
    if (count === this.shownUnread) return;
    this.shownUnread = count;
    document.title = count > 0 ? `(${count > 99 ? '99+' : count}) ${TITLE}` : TITLE;
    this.badge(count);
  }

  /** A message of someone else arrived: a notification unless the user is looking at Konsil. */
  message(frame) {
    if (!notificationsSupported() || Notification.permission !== 'granted') return;
    if (document.visibilityState === 'visible' && document.hasFocus()) return;
    const from = frame.sender && frame.sender.organisation ? frame.sender.organisation.name : '';
    const note = new Notification(t('notify.title'), {
      body: t('notify.body', { org: from }),
      tag: `konsil-${frame.room}`,
      icon: ICON,
    });
    note.onclick = () => {
      window.focus();
      this.openRoom(frame.room);
      note.close();
    };
  }

  /** Stops: the plain title and icon again (after logout). */
  reset() {
    this.unread(0);
  }

  async badge(count) {
    const link = document.querySelector('link[rel=icon]');
    if (!link) return;
    if (count === 0) {
      link.type = 'image/svg+xml';
      link.href = ICON;
      return;
    }
    const image = await this.baseIcon();
    if (count !== this.shownUnread) return;
    const canvas = h('canvas', { width: 64, height: 64 });
    const draw = canvas.getContext('2d');
    if (image) draw.drawImage(image, 0, 0, 64, 64);
    draw.fillStyle = '#c4262e';
    draw.beginPath();
    draw.arc(44, 20, 20, 0, 2 * Math.PI);
    draw.fill();
    draw.fillStyle = '#fff';
    draw.font = 'bold 26px sans-serif';
    draw.textAlign = 'center';
    draw.textBaseline = 'middle';
    draw.fillText(count > 9 ? '9+' : String(count), 44, 21);
    link.type = 'image/png';
    link.href = canvas.toDataURL('image/png');
  }

  baseIcon() {
    if (!this.icon) {
      this.icon = new Promise((resolve) => {
        const image = new Image();
        image.onload = () => resolve(image);
        image.onerror = () => resolve(null);
        image.src = ICON;
      });
    }
    return this.icon;
  }
}
