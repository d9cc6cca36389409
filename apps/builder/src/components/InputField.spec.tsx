/** @jest-environment jsdom */
import { fireEvent, render, screen } from '@testing-library/react';
import { createRef } from 'react';
import { InputField } from './InputField';

describe('InputField', () => {
  it('passes the input props and a ref through, and shows the help under the input', () => {
    const ref = createRef<HTMLInputElement>();
    const onChange = jest.fn();
    render(
      <InputField
        ref={ref}
        label="Keep raw events for (days)"
        type="number"
        min={1}
        defaultValue="30"
        onChange={onChange}
        help="Older raw events are dropped."
      />,
    );
    const input = screen.getByLabelText<HTMLInputElement>(/^Keep raw events for \(days\)/);
    expect(ref.current).toBe(input);
    expect([input.type, input.min, input.value, input.className]).toEqual(['number', '1', '30', 'input']);
    fireEvent.change(input, { target: { value: '90' } });
    expect(onChange).toHaveBeenCalledTimes(1);
    expect(input.nextElementSibling?.textContent).toBe('Older raw events are dropped.');
    expect(input.closest('label')?.className).toBe('field');
  });

  it('adds its own classes to the input and a wide column to the field', () => {
    render(<InputField label="Visitor id" wide className="mono" />);
    const input = screen.getByLabelText('Visitor id');
    expect(input.className).toBe('input mono');
    expect(input.closest('label')?.className).toBe('field field--wide');
  });
});
