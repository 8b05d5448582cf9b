import { h, icon, ICONS, uid } from './dom.js';

export interface ComposerActions {
  send(text: string): void;
  attach(files: File[], caption: string): void;
  typing(): void;
}

/**
 * Where the customer writes. Enter sends, Shift+Enter is a new line (and Enter while an input
 * method is composing, e.g. Japanese, belongs to the input method, not to us).
 */
export class ComposerView {
  readonly el: HTMLFormElement;
  readonly input: HTMLTextAreaElement;
  readonly #buttons: HTMLButtonElement[];

  constructor(actions: ComposerActions) {
    const inputId = uid('input');
    const hintId = uid('hint');
    this.input = h('textarea', { id: inputId, rows: 1, placeholder: 'Type your message…', 'aria-describedby': hintId, maxlength: 10_000 });
    const file = h('input', { type: 'file', multiple: true, class: 'vh', tabindex: -1, 'aria-hidden': 'true' });
    const attach = h('button', { type: 'button', class: 'icon-button attach', 'aria-label': 'Attach a file' }, icon(ICONS.attach));
    const send = h('button', { type: 'submit', class: 'icon-button send', 'aria-label': 'Send' }, icon(ICONS.send));
    this.#buttons = [attach, send];
    this.el = h('form', { class: 'composer', 'aria-label': 'Write a message' },
      h('label', { for: inputId, class: 'vh' }, 'Message'),
      h('span', { id: hintId, class: 'vh' }, 'Enter sends, Shift+Enter starts a new line.'),
      this.input, file, attach, send);

    const submit = () => {
      const text = this.input.value;
      if (text.trim() === '') return;
      this.input.value = '';
      this.#autosize();
      actions.send(text);
    };
    this.el.addEventListener('submit', (event) => {
      event.preventDefault();
      submit();
    });
    this.input.addEventListener('keydown', (event) => {
      if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        submit();
      }
    });
    this.input.addEventListener('input', () => {
      this.#autosize();
      if (this.input.value !== '') actions.typing();
    });
    attach.addEventListener('click', () => file.click());
    file.addEventListener('change', () => {
      const files = [...(file.files ?? [])];
      file.value = '';
      if (files.length === 0) return;
      const caption = this.input.value;
      this.input.value = '';
      this.#autosize();
      actions.attach(files, caption);
      this.input.focus();
    });
  }

  setEnabled(enabled: boolean): void {
    this.input.disabled = !enabled;
    for (const b of this.#buttons) b.disabled = !enabled;
  }

  focus(): void {
    this.input.focus();
  }

  /** Grows with the text up to the CSS max-height, then scrolls. */
  #autosize(): void {
    this.input.style.height = 'auto';
    this.input.style.height = `${this.input.scrollHeight + 2}px`;
  }
}
