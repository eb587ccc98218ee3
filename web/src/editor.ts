// The CodeMirror SQL editor: Spark SQL highlighting and completion,
// Ctrl/Cmd-Enter to run, and error diagnostics from the server.

import { closeCompletion } from '@codemirror/autocomplete';
import { basicSetup } from 'codemirror';
import { setDiagnostics } from '@codemirror/lint';
import { Compartment, Prec } from '@codemirror/state';
import { EditorView, keymap, placeholder } from '@codemirror/view';
import { sqlLanguage } from './completion';
import type { CompletionData } from './types';

const theme = EditorView.theme({
  '&': { height: '100%', fontSize: '13px' },
  '.cm-scroller': { fontFamily: 'var(--mono)', lineHeight: '1.5' },
  '.cm-gutters': { backgroundColor: 'var(--panel)', borderRight: '1px solid var(--border)', color: 'var(--faint)' },
  '&.cm-focused': { outline: 'none' },
});

export interface RunTarget {
  text: string;
  /** Document offset where `text` starts (to place error positions). */
  from: number;
}

export class SqlEditor {
  readonly view: EditorView;
  private readonly language = new Compartment();

  constructor(parent: HTMLElement, initialSql: string, onRun: () => void) {
    this.view = new EditorView({
      parent,
      doc: initialSql,
      extensions: [
        // Above the default keymap, where Mod-Enter inserts a blank line.
        Prec.highest(
          keymap.of([
            {
              key: 'Mod-Enter',
              run: (view) => {
                closeCompletion(view);
                onRun();
                return true;
              },
            },
          ]),
        ),
        basicSetup,
        this.language.of(sqlLanguage(null, '', '')),
        placeholder('Write SQL here. Ctrl-Enter (⌘-Enter) runs the selection, or everything.'),
        theme,
      ],
    });
  }

  getSql(): string {
    return this.view.state.doc.toString();
  }

  setSql(text: string): void {
    const { state } = this.view;
    this.view.dispatch({
      changes: { from: 0, to: state.doc.length, insert: text },
      selection: { anchor: text.length },
    });
    this.clearErrors();
  }

  /** The selection when there is one, else the whole text. */
  runTarget(): RunTarget {
    const { state } = this.view;
    const { from, to } = state.selection.main;
    if (from !== to) return { text: state.sliceDoc(from, to), from };
    return { text: state.doc.toString(), from: 0 };
  }

  setCompletion(data: CompletionData | null, catalog: string, schema: string): void {
    this.view.dispatch({ effects: this.language.reconfigure(sqlLanguage(data, catalog, schema)) });
  }

  /** Underlines the error at 1-based line/column of the submitted text. */
  markError(target: RunTarget, line: number, column: number, message: string): void {
    const lines = target.text.split('\n');
    const lineIndex = Math.min(Math.max(line, 1), lines.length) - 1;
    let offset = 0;
    for (let i = 0; i < lineIndex; i++) offset += lines[i].length + 1;
    offset += Math.min(Math.max(column - 1, 0), lines[lineIndex].length);

    const { state } = this.view;
    const pos = Math.min(target.from + offset, state.doc.length);
    // Underline the word at the position (at least one character).
    const docLine = state.doc.lineAt(pos);
    const rest = docLine.text.slice(pos - docLine.from);
    const wordLength = /^\w+/.exec(rest)?.[0].length ?? 1;
    const to = Math.min(pos + wordLength, docLine.to);
    const from = to > pos ? pos : Math.max(docLine.from, pos - 1);
    this.view.dispatch(setDiagnostics(state, [{ from, to, severity: 'error', message }]));
  }

  clearErrors(): void {
    this.view.dispatch(setDiagnostics(this.view.state, []));
  }

  focus(): void {
    this.view.focus();
  }

  destroy(): void {
    this.view.destroy();
  }
}
