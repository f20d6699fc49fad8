// Form pieces shared by the screens: labelled fields and the error box.

import { h, replace } from '../dom.js';
import { problemText } from '../i18n.js';

/** A labelled input; answers [row, input]. */
export function field(label, attrs) {
  const input = h(attrs.tag || 'input', { ...attrs, tag: null });
  const row = h('label', { class: 'field' }, h('span', {}, label), input);
  return [row, input];
}

/**
 * Marks a field as wrong with the reason right below it (read out with the field), or, without a
 * message, as right again.
 */
export function fieldError(input, message) {
  const row = input.closest('.field') || input.parentElement;
  let note = row.querySelector('.field-error');
  if (!message) {
    input.removeAttribute('aria-invalid');
    if (note) note.remove();
    return;
  }
  if (!note) {
    note = h('span', { class: 'field-error', id: `${input.id}-error` });
    row.append(note);
  }
  note.textContent = message;
  input.setAttribute('aria-invalid', 'true');
  input.setAttribute('aria-describedby', note.id);
}

/** A box that shows a problem in the user's language (or is empty). */
export function errorBox() {
  const box = h('p', { class: 'error', role: 'alert', hidden: true });
  box.show = (problem) => {
    box.hidden = false;
    if (problem && problem.code) box.textContent = problemText(problem.code);
    else box.textContent = problem instanceof Error ? problem.message : String(problem);
    box.dataset.code = problem && problem.code ? problem.code : '';
    if (problem && problem.message && problem.code) box.title = problem.message;
  };
  box.clear = () => {
    box.hidden = true;
    replace(box);
    box.dataset.code = '';
  };
  return box;
}

/** Runs an action while its button shows that it is busy; problems go to the box. */
export async function busy(button, box, action) {
  button.disabled = true;
  box.clear();
  try {
    return await action();
  } catch (e) {
    box.show(e);
    return undefined;
  } finally {
    button.disabled = false;
  }
}

export function notice(text) {
  return h('p', { class: 'notice', role: 'status' }, text);
}
