import { prechatAnswers, validatePrechat } from '../prechat-validation.js';
import type { TokenRequest, WidgetSettings } from '../webchat-api.js';
import { h, setChildren, uid } from './dom.js';

/**
 * The pre-chat survey: one labelled control per field, errors tied to their control with
 * aria-describedby, the first invalid field focused on a refused submit.
 */
export class PrechatView {
  readonly el: HTMLFormElement;
  readonly #controls = new Map<string, HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement>();
  readonly #errors = new Map<string, HTMLElement>();
  readonly #problem: HTMLElement;
  readonly #submit: HTMLButtonElement;
  readonly #labels: ReadonlyMap<string, string>;
  #shownServerProblems: ReadonlyMap<string, string> | undefined;
  #shownProblem: string | undefined;

  constructor(settings: WidgetSettings, onSubmit: (request: TokenRequest) => void) {
    this.#labels = new Map(settings.prechatFields.map((f) => [f.name, f.label]));
    this.#problem = h('p', { class: 'error', role: 'alert' });
    this.#submit = h('button', { type: 'submit', class: 'primary' }, 'Start chat');
    const fields = settings.prechatFields.map((field) => {
      const id = uid(`field-${field.name}`);
      const errorId = `${id}-error`;
      const common = { id, name: field.name, 'aria-describedby': errorId, required: field.required, 'aria-required': field.required ? 'true' : undefined };
      const control = field.type === 'textarea'
        ? h('textarea', { ...common, rows: 3, maxlength: field.maxLength })
        : field.type === 'select'
          ? h('select', common, h('option', { value: '' }, 'Choose…'), ...field.options.map((o) => h('option', { value: o }, o)))
          : h('input', { ...common, type: field.type === 'email' ? 'email' : 'text', maxlength: field.maxLength, autocomplete: autocompleteFor(field.name, field.type) });
      this.#controls.set(field.name, control);
      const error = h('p', { id: errorId, class: 'error' });
      this.#errors.set(field.name, error);
      return h('div', { class: 'field' },
        h('label', { for: id }, field.label, field.required ? h('span', { class: 'required', 'aria-hidden': 'true' }, ' *') : null),
        control, error);
    });
    this.el = h('form', { class: 'form', novalidate: true, 'aria-label': 'Before we start' },
      h('p', {}, 'Please tell us a little about yourself.'),
      ...fields, this.#problem, this.#submit);
    this.el.addEventListener('submit', (event) => {
      event.preventDefault();
      const values = this.#values();
      const problems = validatePrechat(settings.prechatFields, values);
      this.#showProblems(problems, undefined);
      if (problems.size > 0) return this.#focusFirstInvalid(problems);
      const answers = prechatAnswers(settings.prechatFields, values);
      // A field called "name" also names the customer (their contact's display name).
      onSubmit({ prechat: answers, ...(answers.name ? { user: { name: answers.name.slice(0, 200) } } : {}) });
    });
  }

  /** `fieldProblems` are the server's ("email" -> "not an e-mail address"); shown once per refusal. */
  update(busy: boolean, fieldProblems: ReadonlyMap<string, string>, problem: string | undefined): void {
    this.#submit.disabled = busy;
    setChildren(this.#submit, busy ? 'Starting…' : 'Start chat');
    if (fieldProblems === this.#shownServerProblems && problem === this.#shownProblem) return;
    this.#shownServerProblems = fieldProblems;
    this.#shownProblem = problem;
    if (fieldProblems.size === 0 && !problem) return;
    const labelled = new Map([...fieldProblems].map(([name, text]) => [name, `${this.#labels.get(name) ?? name}: ${text}`]));
    this.#showProblems(labelled, problem);
    if (labelled.size > 0) this.#focusFirstInvalid(labelled);
  }

  focus(): void {
    const first = this.#controls.values().next().value as HTMLElement | undefined;
    (first ?? this.#submit).focus();
  }

  #values(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [name, control] of this.#controls) out[name] = control.value;
    return out;
  }

  #showProblems(problems: ReadonlyMap<string, string>, problem: string | undefined): void {
    for (const [name, control] of this.#controls) {
      const text = problems.get(name);
      control.setAttribute('aria-invalid', text ? 'true' : 'false');
      setChildren(this.#errors.get(name)!, text ?? '');
    }
    setChildren(this.#problem, problem ?? '');
  }

  #focusFirstInvalid(problems: ReadonlyMap<string, string>): void {
    for (const [name, control] of this.#controls) if (problems.has(name)) return control.focus();
  }
}

function autocompleteFor(name: string, type: string): string | undefined {
  if (type === 'email') return 'email';
  if (name === 'name') return 'name';
  if (name === 'phone') return 'tel';
  return undefined;
}
