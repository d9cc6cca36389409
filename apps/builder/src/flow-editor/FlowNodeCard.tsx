import { Handle, Position, type Node, type NodeProps } from '@xyflow/react';
import { memo } from 'react';
import type { FlowNodeData } from '../editor/diagram';
import { useFarZoom } from './zoom';

export type FlowDiagramNode = Node<FlowNodeData, 'flow'>;

const number = new Intl.NumberFormat(undefined, { notation: 'compact' });

function FlowNodeCardImpl({ id, data, selected }: NodeProps<FlowDiagramNode>) {
  const errors = data.errors.length;
  const far = useFarZoom();
  const classes = ['fnode', `fnode--${data.category}`];
  if (selected) classes.push('fnode--selected');
  if (errors) classes.push('fnode--invalid');
  if (data.highlight) classes.push(`fnode--${data.highlight}`);
  return (
    <div
      className={classes.join(' ')}
      data-testid={`node-${id}`}
      aria-label={`${data.kindLabel}: ${data.title}${errors ? `, ${errors} problem${errors > 1 ? 's' : ''}` : ''}`}
    >
      {data.hasInput && <Handle type="target" id="in" position={Position.Top} className="fnode__handle" />}
      <div className="fnode__head">
        <span className="fnode__icon" aria-hidden="true">
          {data.glyph}
        </span>
        <span className="fnode__kind">{data.kindLabel}</span>
        {errors > 0 && (
          <span className="badge badge--error fnode__errors" title={data.errors.join('\n')}>
            {errors} {errors === 1 ? 'issue' : 'issues'}
          </span>
        )}
      </div>
      <div className="fnode__title">{data.title}</div>
      {/* Kept (empty) when zoomed far out, so the node's height and its handles do not move. */}
      <div className="fnode__summary" title={far ? undefined : data.summary}>
        {far ? '' : data.summary}
      </div>
      {data.counts && (
        <div
          className={`fnode__counts${data.countsKind === 'forecast' ? ' fnode__counts--forecast' : ''}`}
          aria-label={data.countsKind === 'forecast' ? 'Forecast counts (backtest)' : 'Live counts'}
          data-testid={data.countsKind === 'forecast' ? `forecast-${id}` : undefined}
        >
          {data.countsKind === 'forecast' && <span className="fnode__forecast-tag">Forecast</span>}
          <span title="Visitors who entered this step">▶ {number.format(data.counts.entered)}</span>
          {data.counts.waiting > 0 && (
            <span title="Visitors waiting in this step">⏸ {number.format(data.counts.waiting)}</span>
          )}
        </div>
      )}
      {data.outputs.length > 0 && (
        <div className="fnode__outputs">
          {data.outputs.map((output, index) => {
            const left = `${((index + 1) / (data.outputs.length + 1)) * 100}%`;
            return (
              <div key={output.id}>
                {data.outputs.length > 1 && !far && (
                  <span className="fnode__output-label" style={{ left }}>
                    {output.label}
                  </span>
                )}
                <Handle
                  type="source"
                  id={output.id}
                  position={Position.Bottom}
                  style={{ left }}
                  className={`fnode__handle${output.connected ? '' : ' fnode__handle--open'}${
                    output.required && !output.connected ? ' fnode__handle--required' : ''
                  }`}
                  title={`${output.label} output${output.required && !output.connected ? ' (needs a connection)' : ''}`}
                />
              </div>
            );
          })}
        </div>
      )}
    </div>
  );
}

export const FlowNodeCard = memo(FlowNodeCardImpl);
