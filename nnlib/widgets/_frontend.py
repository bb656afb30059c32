"""The browser side of :mod:`nnlib.widgets.controls`: each control's JavaScript and the CSS.

Each ``*_JS`` string is an ES module with anywidget's ``render({model, el})``;
``CSS`` styles them all with JupyterLab's theme variables. ``TEXT_PAIRS`` and
``UI_PAIRS`` list every colour pair the CSS sets, for ``tests/test_contrast.py``.
"""

# Keys a focused control keeps to itself, so that JupyterLab's command-mode
# shortcuts (arrows move between cells, letters change cells) never see them.
# Tab, Escape and shortcuts with Ctrl/Alt/Meta still reach JupyterLab.
JS_COMMON = """
const keepKeys = (el) => el.addEventListener("keydown", (e) => {
  if (e.key === "Tab" || e.key === "Escape" || e.ctrlKey || e.altKey || e.metaKey) return;
  e.stopPropagation();
});
const newId = (kind) => `nnlib-${kind}-${Math.random().toString(36).slice(2, 10)}`;
"""

SLIDER_JS = (
    JS_COMMON
    + """
function render({ model, el }) {
  const id = newId("slider");
  el.classList.add("nnlib-control", "nnlib-slider");
  const label = document.createElement("label");
  label.htmlFor = id;
  const input = document.createElement("input");
  input.type = "range"; input.id = id; input.min = "0"; input.step = "1";
  const readout = document.createElement("span");
  readout.className = "nnlib-readout";
  readout.setAttribute("aria-hidden", "true");  // the slider announces it (aria-valuetext)
  el.append(label, input, readout);
  const show = (text) => {
    input.setAttribute("aria-valuetext", text);
    readout.textContent = text;
  };
  const sync = () => {
    label.textContent = model.get("description");
    input.max = String(model.get("labels").length - 1);
    input.value = String(model.get("index"));
    input.disabled = model.get("disabled");
    show(model.get("text"));
  };
  const send = () => { model.set("index", Number(input.value)); model.save_changes(); };
  input.addEventListener("input", () => {
    show(model.get("labels")[Number(input.value)]);
    if (model.get("continuous_update")) send();
  });
  input.addEventListener("change", send);
  keepKeys(input);
  model.on("change", sync);
  sync();
  return () => model.off("change", sync);
}
export default { render };
"""
)

DROPDOWN_JS = (
    JS_COMMON
    + """
function render({ model, el }) {
  const id = newId("select");
  el.classList.add("nnlib-control", "nnlib-dropdown");
  const label = document.createElement("label");
  label.htmlFor = id;
  const select = document.createElement("select");
  select.id = id;
  el.append(label, select);
  const sync = () => {
    label.textContent = model.get("description");
    const labels = model.get("labels");
    if ([...select.options].map((o) => o.text).join("\\n") !== labels.join("\\n")) {
      select.replaceChildren(...labels.map((t, i) => new Option(t, String(i))));
    }
    select.value = String(model.get("index"));
    select.disabled = model.get("disabled");
  };
  select.addEventListener("change", () => {
    model.set("index", Number(select.value)); model.save_changes();
  });
  keepKeys(select);
  model.on("change", sync);
  sync();
  return () => model.off("change", sync);
}
export default { render };
"""
)

RADIO_JS = (
    JS_COMMON
    + """
function render({ model, el }) {
  const name = newId("radio");
  el.classList.add("nnlib-control", "nnlib-radio");
  const group = document.createElement("fieldset");
  const legend = document.createElement("legend");
  group.append(legend);
  el.append(group);
  let inputs = [];
  const build = () => {
    group.querySelectorAll("label").forEach((n) => n.remove());
    inputs = model.get("labels").map((text, i) => {
      const row = document.createElement("label");
      const input = document.createElement("input");
      input.type = "radio"; input.name = name; input.value = String(i);
      input.addEventListener("change", () => {
        if (input.checked) { model.set("index", i); model.save_changes(); }
      });
      keepKeys(input);
      row.append(input, document.createTextNode(" " + text));
      group.append(row);
      return input;
    });
  };
  const sync = () => {
    legend.textContent = model.get("description");
    if (inputs.length !== model.get("labels").length) build();
    const index = model.get("index");
    inputs.forEach((input, i) => {
      input.checked = i === index;
      input.disabled = model.get("disabled");
    });
  };
  model.on("change", sync);
  build();
  sync();
  return () => model.off("change", sync);
}
export default { render };
"""
)

FIGURE_JS = """
function render({ model, el }) {
  el.classList.add("nnlib-figure");
  const img = document.createElement("img");
  img.className = "widget-image nnlib-figure-image";
  el.append(img);
  let url = null;
  const sync = () => {
    const data = model.get("value");
    if (data && data.byteLength) {
      const old = url;
      url = URL.createObjectURL(new Blob([data], { type: "image/png" }));
      img.src = url;
      if (old) URL.revokeObjectURL(old);
    }
    img.alt = model.get("alt");
  };
  model.on("change", sync);
  sync();
  return () => { model.off("change", sync); if (url) URL.revokeObjectURL(url); };
}
export default { render };
"""

STATUS_JS = """
function render({ model, el }) {
  el.classList.add("nnlib-live-status");
  el.setAttribute("role", "status");  // a polite live region: screen readers read each change
  const sync = () => { el.textContent = model.get("value"); };
  model.on("change:value", sync);
  sync();
  return () => model.off("change:value", sync);
}
export default { render };
"""

# Colours come from JupyterLab's theme variables (with a fallback for other
# front ends), so text keeps the theme's own contrast in the light and the dark
# theme alike. Every pair is listed here; tests/test_contrast.py resolves each in
# JupyterLab Light and Dark (backgrounds: the notebook's, and a selected cell's).
_TEXT = "var(--jp-content-font-color1, #212121)"
_PAGE = "var(--jp-layout-color0, #fff)"
_FIELD = "var(--jp-layout-color1, #fff)"
_ACCENT = "var(--jp-brand-color1, #1976d2)"
#: Text colour and background of every text the controls draw (4.5:1 needed).
TEXT_PAIRS = {
    "label, readout, legend and option": (_TEXT, _PAGE),
    "dropdown's chosen option": (_TEXT, _FIELD),
}
#: Colour of the parts of a control one must see to use it (3:1 needed, WCAG 1.4.11).
UI_PAIRS = {
    "focus ring": (_ACCENT, _PAGE),
    "slider track and thumb": (_ACCENT, _PAGE),
}

CSS = f"""
.nnlib-control {{ display: inline-flex; align-items: center; gap: 0.5em; margin: 2px 12px 2px 0;
  color: {_TEXT}; font-size: var(--jp-widgets-font-size, 13px); }}
.nnlib-control select {{ color: {_TEXT}; background: {_FIELD};
  border: 1px solid var(--jp-border-color1, #757575); }}
.nnlib-slider input[type=range] {{ width: 160px; accent-color: {_ACCENT}; }}
.nnlib-readout {{ min-width: 3.5em; font-variant-numeric: tabular-nums; }}
.nnlib-control :focus-visible {{ outline: 2px solid {_ACCENT}; outline-offset: 2px; }}
.nnlib-radio fieldset {{ border: none; margin: 0; padding: 0; }}
.nnlib-radio legend {{ padding: 0; margin-bottom: 4px; color: {_TEXT}; }}
.nnlib-radio label {{ display: block; margin: 2px 0; }}
.nnlib-figure-image {{ max-width: 100%; }}
.nnlib-live-status {{ position: absolute; width: 1px; height: 1px; overflow: hidden;
  clip: rect(0 0 0 0); white-space: nowrap; }}
"""
