/** @jest-environment jsdom */
import { createNode, NODE_REGISTRY, NODE_TYPES } from '@nudgeflow/flow-schema';
import { fireEvent, render, screen, waitFor } from '@testing-library/react';
import { MemoryRouter } from 'react-router-dom';
import { ConfigForm } from './ConfigForm';
import { Palette } from './Palette';
import { NodeTypeContext } from './SchemaForm';

describe('the Send SMS node in the builder', () => {
  it('is in the palette with its glyph, among the actions, like every registered kind', () => {
    const onAdd = jest.fn();
    render(<Palette onAdd={onAdd} />);
    const actions = screen.getByRole('region', { name: 'Actions' });
    const button = screen.getByRole('button', { name: 'Add Send SMS (actions)' });
    expect(actions.contains(button)).toBe(true);
    expect(button.textContent).toContain(NODE_REGISTRY.send_sms.glyph);
    fireEvent.click(button);
    expect(onAdd).toHaveBeenCalledWith('send_sms');
    // One button per kind: the palette has no list of its own to forget a kind in.
    expect(screen.getAllByRole('button')).toHaveLength(NODE_TYPES.length);
  });

  it('has a config form with the phone trait and a templated body that reports valid edits', async () => {
    const onChange = jest.fn();
    const node = createNode('send_sms', 'sms_1');
    render(
      <MemoryRouter>
        <NodeTypeContext.Provider value="send_sms">
          <ConfigForm
            schema={NODE_REGISTRY.send_sms.configSchema}
            value={node.config}
            help={NODE_REGISTRY.send_sms.fieldHelp}
            readOnly={false}
            label="Send SMS settings"
            onChange={onChange}
          />
        </NodeTypeContext.Provider>
      </MemoryRouter>,
    );
    const phone = screen.getByLabelText(/phone trait/i) as HTMLInputElement;
    expect(phone.value).toBe('phone');
    const body = screen.getByLabelText(/^body/i);
    expect(body.tagName).toBe('TEXTAREA');
    // The body is a template field: the variable list is offered there, not on the trait.
    expect(screen.getByLabelText(/insert a variable into body/i)).toBeTruthy();
    expect(screen.queryByLabelText(/insert a variable into phone trait/i)).toBeNull();
    fireEvent.change(body, { target: { value: 'Hi {{visitor.traits.first_name}}' } });
    fireEvent.change(phone, { target: { value: 'mobile' } });
    await waitFor(() =>
      expect(onChange).toHaveBeenLastCalledWith({
        phoneTrait: 'mobile',
        body: 'Hi {{visitor.traits.first_name}}',
      }),
    );
  });
});
