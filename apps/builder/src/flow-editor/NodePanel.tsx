import { NODE_REGISTRY, type FlowNode } from '@nudgeflow/flow-schema';
import { useMemo } from 'react';
import { useParams } from 'react-router-dom';
import { updateNode } from '../editor/graph-edit';
import { refFieldsOf } from '../editor/ref-fields';
import { ConfigForm } from './ConfigForm';
import { NodeTypeContext } from './SchemaForm';
import { RefPickersContext, useRefPickers } from './ref-options';
import { useEditorStore } from './editor-store';

interface Props {
  node: FlowNode;
  readOnly: boolean;
  issues: readonly string[];
  onDelete: () => void;
}

/** The side panel of one node: a label and a form generated from the node kind's zod config schema. */
export function NodePanel({ node, readOnly, issues, onDelete }: Props) {
  const definition = NODE_REGISTRY[node.type];
  const edit = useEditorStore((state) => state.edit);
  const { siteId = '' } = useParams();
  const refFields = useMemo(() => refFieldsOf(node), [node]);
  const pickers = useRefPickers(siteId, refFields);
  return (
    <div className="panel__section stack">
      <div className="row" style={{ flexWrap: 'nowrap' }}>
        <span className={`fnode__icon fnode__icon--${definition.category}`} aria-hidden="true">
          {definition.glyph}
        </span>
        <div>
          <h2 style={{ margin: 0 }}>{definition.label}</h2>
          <span className="muted small">
            {definition.category} · id <code>{node.id}</code>
          </span>
        </div>
      </div>
      <p className="muted small">{definition.description}</p>
      {issues.length > 0 && (
        <ul className="issue-list" aria-label="Problems in this step">
          {issues.map((issue, index) => (
            <li key={index}>{issue}</li>
          ))}
        </ul>
      )}
      <label className="field">
        <span>Label on the canvas</span>
        <input
          className="input"
          value={node.label ?? ''}
          placeholder={definition.label}
          maxLength={120}
          disabled={readOnly}
          onChange={(event) =>
            edit(
              (doc) => ({ ...doc, graph: updateNode(doc.graph, node.id, { label: event.target.value }) }),
              `label:${node.id}`,
            )
          }
        />
      </label>
      <RefPickersContext value={pickers}>
        <NodeTypeContext value={node.type}>
          <ConfigForm
            key={node.id}
            schema={definition.configSchema}
            value={node.config}
            help={definition.fieldHelp}
            readOnly={readOnly}
            label={`${definition.label} settings`}
            onChange={(config) =>
              edit(
                (doc) => ({ ...doc, graph: updateNode(doc.graph, node.id, { config }) }),
                `config:${node.id}`,
              )
            }
          />
        </NodeTypeContext>
      </RefPickersContext>
      {!readOnly && (
        <div>
          <button type="button" className="btn btn--danger btn--small" onClick={onDelete}>
            Delete step
          </button>
        </div>
      )}
    </div>
  );
}
