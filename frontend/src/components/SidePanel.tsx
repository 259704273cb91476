/** The left panel: what littleboxes is, and what this screen does. */
export function SidePanel() {
  return (
    <aside className="sidepanel">
      <p className="tagline">
        A personal agent army: small agents, each in its own JavaScript isolate, wired to narrow capabilities whose
        secrets never enter JavaScript.
      </p>

      <section>
        <h2>Playground</h2>
        <ul className="facts">
          <li>
            Write an agent module: <code>export default {"{ run(input, env, ctx) }"}</code>, in TypeScript or
            JavaScript.
          </li>
          <li>
            <b>Run</b> compiles it and calls <code>run</code> once, in a fresh isolate, with the input JSON.
          </li>
          <li>
            No bindings yet: <code>env</code> is empty. No network, no files, no <code>require</code>.
          </li>
          <li>Each run has a 5 s deadline.</li>
        </ul>
      </section>

      <section>
        <h2>Keys</h2>
        <dl className="keys">
          <dt>
            <kbd>Ctrl</kbd>+<kbd>Enter</kbd>
          </dt>
          <dd>run</dd>
          <dt>
            <kbd>Tab</kbd>
          </dt>
          <dd>indent</dd>
        </dl>
      </section>
    </aside>
  );
}
