// The SQL editor view: editor, run/cancel, status line, live progress,
// errors and the results grid.

import { errorMessage, getJson } from './api';
import type { AppContext, View } from './context';
import { el, showMessage } from './dom';
import { SqlEditor, type RunTarget } from './editor';
import { formatSeconds } from './format';
import { ResultsGrid } from './results';
import { cancelStatement, isTerminal, runStatement } from './statements';
import type { CompletionData, StatementState, StatementStatus } from './types';

/** Statements after which the completion data is likely stale. */
const DDL = /\b(create|drop|alter)\b/i;

interface Run {
  id: string | null;
  controller: AbortController;
  cancelRequested: boolean;
  done: boolean;
}

export class SqlEditorView implements View {
  readonly element: HTMLElement;
  private readonly editor: SqlEditor;
  private readonly grid = new ResultsGrid();
  private readonly runButton: HTMLButtonElement;
  private readonly cancelButton: HTMLButtonElement;
  private readonly stateWord: HTMLElement;
  private readonly elapsed: HTMLElement;
  private readonly schemaLabel: HTMLElement;
  private readonly progress: HTMLElement;
  private readonly progressFill: HTMLElement;
  private readonly stages: HTMLElement;
  private readonly errorBox: HTMLElement;
  private readonly errorText: HTMLElement;
  private readonly errorPosition: HTMLElement;
  private current: Run | null = null;
  private completion: CompletionData | null = null;
  private catalog: string;
  private schema: string;

  constructor(ctx: AppContext, initialSql: string) {
    this.catalog = ctx.session.catalog;
    this.schema = ctx.session.schema;
    this.runButton = el('button', { class: 'primary', 'data-testid': 'run', title: 'Run (Ctrl-Enter)', onclick: () => void this.execute() }, '▶ Run');
    this.cancelButton = el('button', { 'data-testid': 'cancel', disabled: true, onclick: () => this.cancel() }, '■ Cancel');
    this.stateWord = el('span', { class: 'state-badge', 'data-testid': 'statement-state' });
    this.elapsed = el('span', { class: 'elapsed', 'data-testid': 'statement-elapsed' });
    this.schemaLabel = el('code', { class: 'schema-label', 'data-testid': 'current-schema', title: 'Current catalog.schema' });
    this.progressFill = el('div', { class: 'progress-fill' });
    this.stages = el('ul', { class: 'stage-lines' });
    this.progress = el(
      'div',
      { class: 'progress', 'data-testid': 'progress', hidden: true },
      el('div', { class: 'progress-bar' }, this.progressFill),
      this.stages,
    );
    this.errorText = el('pre', { class: 'error-message' });
    this.errorPosition = el('div', { class: 'error-position' });
    this.errorBox = el('div', { class: 'statement-error', 'data-testid': 'statement-error', role: 'alert', hidden: true }, this.errorText, this.errorPosition);
    const editorBox = el('div', { class: 'editor-box', 'data-testid': 'editor' });

    this.element = el(
      'section',
      { class: 'view editor-view' },
      el(
        'div',
        { class: 'toolbar' },
        this.runButton,
        this.cancelButton,
        el('div', { class: 'status-line' }, this.stateWord, this.elapsed),
        el('span', { class: 'spacer' }),
        el('span', { class: 'muted' }, 'Schema'),
        this.schemaLabel,
      ),
      editorBox,
      this.progress,
      this.errorBox,
      this.grid.element,
    );
    this.editor = new SqlEditor(editorBox, initialSql, () => void this.execute());
    this.updateSchema(this.catalog, this.schema);
    void this.loadCompletion();
  }

  show(): void {
    // The editor was detached while another view was shown.
    this.editor.view.requestMeasure();
    this.editor.focus();
  }

  destroy(): void {
    this.current?.controller.abort();
    this.current = null;
    this.editor.destroy();
  }

  getSql(): string {
    return this.editor.getSql();
  }

  setSql(text: string): void {
    this.editor.setSql(text);
  }

  private async loadCompletion(): Promise<void> {
    try {
      this.completion = await getJson<CompletionData>('/api/completion');
      this.editor.setCompletion(this.completion, this.catalog, this.schema);
    } catch {
      // Completion is a convenience: keywords still complete without it.
    }
  }

  private updateSchema(catalog: string, schema: string): void {
    const changed = catalog !== this.catalog || schema !== this.schema;
    this.catalog = catalog;
    this.schema = schema;
    this.schemaLabel.textContent = `${catalog}.${schema}`;
    if (changed && this.completion) this.editor.setCompletion(this.completion, catalog, schema);
  }

  private async execute(): Promise<void> {
    const target = this.editor.runTarget();
    if (target.text.trim() === '') return;
    this.abandonCurrent();
    const run: Run = { id: null, controller: new AbortController(), cancelRequested: false, done: false };
    this.current = run;

    this.editor.clearErrors();
    this.showError(null, null);
    this.grid.clear(null);
    this.renderState('PENDING', 0);
    this.progress.hidden = true;
    this.cancelButton.disabled = false;

    try {
      const final = await runStatement(
        target.text,
        {
          onSubmitted: (id) => {
            run.id = id;
            if (run.cancelRequested) this.cancel();
          },
          onStatus: (status) => {
            if (this.current === run) this.renderStatus(status);
          },
        },
        run.controller.signal,
      );
      run.done = true;
      if (final && this.current === run) this.finish(final, target);
    } catch (error) {
      run.done = true;
      if (this.current !== run) return;
      this.renderState('ERROR', null);
      this.cancelButton.disabled = true;
      this.showError(errorMessage(error), null);
    }
  }

  /** A new run supersedes the current one, which is canceled on the server. */
  private abandonCurrent(): void {
    const previous = this.current;
    if (!previous) return;
    previous.controller.abort();
    if (previous.id && !previous.done) cancelStatement(previous.id).catch(() => {});
  }

  private cancel(): void {
    const run = this.current;
    if (!run || run.done) return;
    if (run.id === null) {
      run.cancelRequested = true;
      return;
    }
    this.cancelButton.disabled = true;
    cancelStatement(run.id)
      .then((status) => {
        if (this.current === run) this.renderStatus(status);
      })
      .catch((error: unknown) => {
        if (this.current === run) this.showError(`Cancel failed: ${errorMessage(error)}`, null);
      });
  }

  private finish(status: StatementStatus, target: RunTarget): void {
    this.renderStatus(status);
    if (status.error) {
      const { line, column, message } = status.error;
      const position = line !== null ? `line ${line}, column ${column ?? 1}` : null;
      this.showError(message, position);
      if (line !== null) this.editor.markError(target, line, column ?? 1, message);
    }
    if (status.state === 'FINISHED') {
      void this.grid.load(status.id, status.columns);
      if (DDL.test(target.text)) void this.loadCompletion();
    } else {
      this.grid.clear(`The statement ended in state ${status.state}.`);
    }
  }

  private renderStatus(status: StatementStatus): void {
    this.renderState(status.state, status.elapsed_s);
    this.updateSchema(status.catalog, status.schema);
    this.cancelButton.disabled = isTerminal(status.state);
    const progress = status.progress;
    this.progress.hidden = status.state !== 'RUNNING' || progress === null;
    if (progress && status.state === 'RUNNING') {
      this.progressFill.style.width = `${Math.round(Math.min(1, Math.max(0, progress.fraction)) * 100)}%`;
      this.stages.replaceChildren(
        ...progress.stages.map((stage) =>
          el(
            'li',
            { class: `stage stage-${stage.status.toLowerCase()}` },
            `stage ${stage.stage_id} ${stage.status} ${stage.completed}/${stage.total} tasks (${stage.running} running)` +
              (stage.failed > 0 ? `, ${stage.failed} failed` : ''),
          ),
        ),
      );
    }
  }

  private renderState(state: StatementState, elapsedS: number | null): void {
    this.stateWord.textContent = state;
    this.stateWord.dataset.state = state;
    this.elapsed.textContent = elapsedS === null ? '' : formatSeconds(elapsedS);
  }

  private showError(message: string | null, position: string | null): void {
    this.errorBox.hidden = message === null;
    this.errorText.textContent = message ?? '';
    showMessage(this.errorPosition, position);
  }
}
