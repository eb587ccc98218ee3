// The recipes view: pick a recipe, fill in its parameters, open the
// rendered script in the SQL editor.

import { errorMessage, getJson, sendJson, url } from './api';
import type { AppContext, View } from './context';
import { el, showMessage } from './dom';
import type { Recipe } from './types';

export class RecipesView implements View {
  readonly element: HTMLElement;
  private readonly list: HTMLUListElement;
  private readonly form: HTMLElement;
  private readonly error: HTMLElement;
  private loaded = false;

  constructor(private readonly ctx: AppContext) {
    this.list = el('ul', { class: 'recipe-list' });
    this.form = el('div', { class: 'recipe-form' }, el('p', { class: 'muted' }, 'Choose a recipe.'));
    this.error = el('p', { class: 'error-text', role: 'alert', hidden: true });
    this.element = el(
      'section',
      { class: 'view page-view', 'data-testid': 'recipes' },
      el('div', { class: 'page-header' }, el('h1', null, 'Recipes')),
      this.error,
      el('div', { class: 'recipes-layout' }, this.list, this.form),
    );
  }

  show(): void {
    if (!this.loaded) void this.load();
  }

  private async load(): Promise<void> {
    try {
      const { recipes } = await getJson<{ recipes: Recipe[] }>('/api/recipes');
      this.loaded = true;
      showMessage(this.error, null);
      this.list.replaceChildren(
        ...recipes.map((recipe) => {
          const item: HTMLLIElement = el(
            'li',
            { class: 'recipe-item', 'data-recipe': recipe.name, tabindex: 0 },
            el('div', { class: 'recipe-name' }, recipe.name),
            el('div', { class: 'recipe-description' }, recipe.description),
          );
          const select = (): void => {
            for (const other of this.list.children) other.classList.toggle('selected', other === item);
            this.select(recipe);
          };
          item.addEventListener('click', select);
          item.addEventListener('keydown', (event) => {
            if (event.key === 'Enter') select();
          });
          return item;
        }),
      );
      if (recipes.length === 0) this.list.append(el('li', { class: 'muted' }, 'No recipes are installed.'));
    } catch (error) {
      showMessage(this.error, errorMessage(error));
    }
  }

  private select(recipe: Recipe): void {
    const inputs = recipe.params.map((param) =>
      el('input', {
        name: param.name,
        value: param.default,
        inputmode: param.kind === 'number' ? 'decimal' : null,
        spellcheck: 'false',
      }),
    );
    const error = el('p', { class: 'error-text', 'data-testid': 'recipe-error', role: 'alert', hidden: true });
    const open = el('button', { type: 'submit', class: 'primary', 'data-testid': 'recipe-open' }, 'Open in editor');
    const form = el(
      'form',
      { class: 'param-form' },
      recipe.params.map((param, i) =>
        el('label', null, el('span', { class: 'param-name' }, param.name, el('span', { class: 'param-kind' }, param.kind)), inputs[i]),
      ),
      open,
      error,
    );
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      open.disabled = true;
      showMessage(error, null);
      const values = Object.fromEntries(inputs.map((input) => [input.name, input.value]));
      try {
        const { sql } = await sendJson<{ sql: string }>('POST', url`/api/recipes/${recipe.name}/render`, { values });
        this.ctx.openInEditor(sql);
      } catch (e) {
        showMessage(error, errorMessage(e));
      } finally {
        open.disabled = false;
      }
    });
    this.form.replaceChildren(
      el('h2', null, recipe.name),
      el('p', { class: 'recipe-description' }, recipe.description),
      form,
      el('details', { class: 'recipe-template' }, el('summary', null, 'Template'), el('pre', null, recipe.sql)),
    );
  }
}
