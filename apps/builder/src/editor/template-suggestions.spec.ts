import { isKnownTemplateVariable, TEMPLATE_VARIABLES } from '@nudgeflow/flow-schema';
import { insertToken, offersVariables, VARIABLE_SUGGESTIONS } from './template-suggestions';

describe('template variable suggestions', () => {
  it('offers every catalogue variable, each one a name publish accepts', () => {
    expect(VARIABLE_SUGGESTIONS).toHaveLength(TEMPLATE_VARIABLES.length);
    for (const s of VARIABLE_SUGGESTIONS) {
      expect(s.token).toMatch(/^\{\{[\w.]+\}\}$/);
      expect(isKnownTemplateVariable(s.token.slice(2, -2))).toBe(true);
    }
    expect(VARIABLE_SUGGESTIONS.map((s) => s.label)).toEqual(
      expect.arrayContaining([
        'visitor.anonymousId',
        'visitor.userId',
        'visitor.traits.KEY',
        'run.id',
        'site.id',
      ]),
    );
  });

  it('appears on template fields only', () => {
    expect(offersVariables('send_email', 'subject')).toBe(true);
    expect(offersVariables('send_email', 'html')).toBe(true);
    expect(offersVariables('send_webhook', 'bodyTemplate')).toBe(true);
    expect(offersVariables('update_visitor', 'setTraits.3.value')).toBe(true);
    expect(offersVariables('update_visitor', 'setTraits.3.key')).toBe(false);
    expect(offersVariables('send_email', 'senderId')).toBe(false);
    expect(offersVariables('trigger_event', 'event')).toBe(false);
    expect(offersVariables(undefined, 'text')).toBe(false);
  });

  it('inserts at the caret, or appends', () => {
    expect(insertToken('Hi !', '{{visitor.userId}}', 3)).toEqual({
      text: 'Hi {{visitor.userId}}!',
      caret: 21,
    });
    expect(insertToken('Hi', '{{run.id}}')).toEqual({ text: 'Hi{{run.id}}', caret: 12 });
    expect(insertToken(undefined, '{{now}}', 5)).toEqual({ text: '{{now}}', caret: 7 });
  });
});
