export default function FlowEditorPage() {
  return <div className="page">Editor coming</div>;
}
