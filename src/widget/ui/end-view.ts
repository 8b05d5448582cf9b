import type { ChatSession } from '../chat-session.js';
import { h, setChildren, uid } from './dom.js';

const RATINGS = ['Very dissatisfied', 'Dissatisfied', 'Neutral', 'Satisfied', 'Very satisfied'];

/**
 * After the end: the satisfaction survey when the end offered it (a 1-5 rating as native radio
 * buttons, so arrow keys move between them, and an optional comment), then "start a new chat".
 */
export class EndView {
  readonly el: HTMLElement;
  readonly #title: HTMLElement;
  readonly #form: HTMLFormElement;
  readonly #error: HTMLElement;
  readonly #submit: HTMLButtonElement;
  readonly #radios: HTMLInputElement[];
  readonly #restart: HTMLButtonElement;

  readonly #session: ChatSession;

  constructor(session: ChatSession, onNewChat: () => void) {
    this.#session = session;
    const group = uid('rating');
    // The label shows the digit; the radio's own name says what it means ("4, Satisfied").
    this.#radios = RATINGS.map((meaning, i) => h('input', { type: 'radio', name: group, id: `${group}-${i + 1}`, value: i + 1, class: 'vh', 'aria-label': `${i + 1}, ${meaning}` }));
    const commentId = uid('comment');
    const comment = h('textarea', { id: commentId, maxlength: 1000, rows: 2 });
    this.#error = h('p', { class: 'error', role: 'alert' });
    this.#submit = h('button', { type: 'submit', class: 'primary' }, 'Send feedback');
    const skip = h('button', { type: 'button', class: 'secondary', onclick: () => session.skipSurvey() }, 'No thanks');
    this.#form = h('form', { 'aria-label': 'Rate this chat' },
      h('fieldset', {},
        h('legend', { class: 'legend' }, 'How would you rate this chat?'),
        h('div', { class: 'rating' }, ...this.#radios.flatMap((radio, i) => [
          radio,
          h('label', { for: radio.id, title: RATINGS[i]!, 'aria-hidden': 'true' }, String(i + 1)),
        ]))),
      h('div', { class: 'field' }, h('label', { for: commentId }, 'Anything you would like to add? (optional)'), comment),
      this.#error,
      h('div', { class: 'actions' }, this.#submit, skip));
    this.#form.addEventListener('submit', (event) => {
      event.preventDefault();
      const chosen = this.#radios.find((r) => r.checked);
      if (!chosen) {
        setChildren(this.#error, 'Please choose a rating from 1 to 5.');
        return this.#radios[0]!.focus();
      }
      setChildren(this.#error);
      void session.submitSurvey(Number(chosen.value), comment.value);
    });
    this.#title = h('p', { role: 'status' });
    this.#restart = h('button', { type: 'button', class: 'secondary', onclick: onNewChat }, 'Start a new chat');
    this.el = h('div', { class: 'end' }, this.#title, this.#form, h('div', { class: 'actions' }, this.#restart));
  }

  update(): void {
    const s = this.#session;
    const surveying = s.phase === 'ended' && (s.csatState === 'offered' || s.csatState === 'sending');
    const text = s.phase === 'expired'
      ? 'This chat session has expired.'
      : s.csatState === 'done' && s.store.ended?.csat ? 'Thank you for your feedback.' : 'The chat has ended.';
    if (this.#title.textContent !== text) setChildren(this.#title, text);
    this.#form.hidden = !surveying;
    this.#restart.hidden = surveying;
    this.#submit.disabled = s.csatState === 'sending';
    if (surveying && s.problem) setChildren(this.#error, s.problem);
  }

  focus(): void {
    if (!this.#form.hidden) (this.#radios.find((r) => r.checked) ?? this.#radios[0]!).focus();
    else this.#restart.focus();
  }
}
