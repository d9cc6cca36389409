import { createContext, useContext } from 'react';
import type { NodeType } from '@nudgeflow/flow-schema';

/** Canvas pieces (custom edges) call back into the editor through this, not through props. */
export interface EditorActions {
  readOnly: boolean;
  insertOnEdge: (edgeId: string, type: NodeType) => void;
}

export const EditorActionsContext = createContext<EditorActions>({
  readOnly: true,
  insertOnEdge: () => undefined,
});
export const useEditorActions = () => useContext(EditorActionsContext);
