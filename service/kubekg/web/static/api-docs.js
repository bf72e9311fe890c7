// kubekg API docs: renders /openapi.json (operations, parameters, schemas) with a small "try it" form per operation.
// No framework, no CDN, no inline script; every string from the document is inserted as text.
(function () {
  "use strict";

  // UI strings come from the page's data-msg-* attributes (translated by the server); spec texts keep their language.
  var MSG = {};
  var SPEC_LANG = "";

  function msg(key, fallback) { return MSG[key] || fallback; }

  function el(tag, text, cls) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (cls) node.className = cls;
    return node;
  }

  function specText(tag, text, cls) {
    var node = el(tag, text, cls);
    if (SPEC_LANG) node.lang = SPEC_LANG;
    return node;
  }

  function refName(schema) {
    if (schema && schema.$ref) return schema.$ref.split("/").pop();
    return null;
  }

  function resolve(spec, schema, depth, seen) {
    // Inline $refs a few levels deep for display; recursive schemas stop at their name.
    depth = depth || 0;
    seen = seen || [];
    if (!schema || typeof schema !== "object") return schema;
    if (Array.isArray(schema)) return schema.map(function (s) { return resolve(spec, s, depth, seen); });
    var name = refName(schema);
    if (name) {
      if (depth > 3 || seen.indexOf(name) >= 0) return "<" + name + ">";
      var target = (spec.components && spec.components.schemas && spec.components.schemas[name]) || {};
      return resolve(spec, target, depth + 1, seen.concat([name]));
    }
    var out = {};
    Object.keys(schema).forEach(function (k) { out[k] = resolve(spec, schema[k], depth, seen); });
    return out;
  }

  function paramTable(params) {
    var table = el("table"), head = el("tr");
    [msg("msgColName", "name"), msg("msgColIn", "in"), msg("msgColRequired", "required"),
      msg("msgColSchema", "schema"), msg("msgColDescription", "description")].forEach(function (h) {
      var th = el("th", h);
      th.scope = "col";
      head.appendChild(th);
    });
    var thead = el("thead");
    thead.appendChild(head);
    table.appendChild(thead);
    var body = el("tbody");
    params.forEach(function (p) {
      var tr = el("tr");
      tr.appendChild(el("td", p.name));
      tr.appendChild(el("td", p.in));
      tr.appendChild(el("td", p.required ? msg("msgYes", "yes") : msg("msgNo", "no")));
      tr.appendChild(el("td", JSON.stringify(p.schema || {})));
      tr.appendChild(specText("td", p.description || ""));
      body.appendChild(tr);
    });
    table.appendChild(body);
    return table;
  }

  function tryForm(path, method, op) {
    var form = el("form", null, "try");
    var inputs = {};
    (op.parameters || []).forEach(function (p) {
      var id = "p-" + (op.operationId || path) + "-" + p.name;
      var label = el("label", p.name + (p.required ? " *" : ""));
      label.htmlFor = id;
      var input = el("input");
      input.type = "text";
      input.id = id;
      if (p.example !== undefined) input.value = p.example;
      inputs[p.name] = { param: p, input: input };
      form.appendChild(label);
      form.appendChild(input);
    });
    var body = null;
    if (op.requestBody) {
      var bid = "b-" + (op.operationId || path);
      var blabel = el("label", msg("msgBodyLabel", "Request body (JSON)"));
      blabel.htmlFor = bid;
      body = el("textarea");
      body.id = bid;
      body.value = "{}";
      form.appendChild(blabel);
      form.appendChild(body);
    }
    var button = el("button", msg("msgSend", "Send"));
    button.type = "submit";
    form.appendChild(button);
    var out = el("pre", "", "try-output");
    out.setAttribute("aria-live", "polite");
    form.appendChild(out);
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var url = path, query = new URLSearchParams();
      Object.keys(inputs).forEach(function (name) {
        var entry = inputs[name], value = entry.input.value;
        if (entry.param.in === "path") url = url.replace("{" + name + "}", encodeURIComponent(value));
        else if (value !== "") query.set(name, value);
      });
      var qs = query.toString();
      var init = { method: method.toUpperCase(), headers: { "Accept": "application/json" } };
      if (body) { init.headers["Content-Type"] = "application/json"; init.body = body.value; }
      out.textContent = "…";
      fetch(url + (qs ? "?" + qs : ""), init).then(function (resp) {
        return resp.text().then(function (text) {
          var shown = text;
          try { shown = JSON.stringify(JSON.parse(text), null, 2); } catch (e) { /* not JSON */ }
          out.textContent = resp.status + " " + resp.statusText + "\n\n" + shown;
        });
      }).catch(function (err) { out.textContent = String(err); });
    });
    return form;
  }

  function operation(spec, path, method, op) {
    var details = el("details", null, "op");
    var summary = el("summary");
    summary.appendChild(el("span", method, "method " + method));
    summary.appendChild(el("span", path, "path"));
    summary.appendChild(specText("span", op.summary || "", "muted summary-text"));
    details.appendChild(summary);
    var body = el("div", null, "op-body");
    if (op.description) body.appendChild(specText("p", op.description));
    if (op.parameters && op.parameters.length) {
      body.appendChild(el("h3", msg("msgParameters", "Parameters")));
      body.appendChild(paramTable(op.parameters));
    }
    if (op.requestBody) {
      body.appendChild(el("h3", msg("msgRequestBody", "Request body")));
      var content = op.requestBody.content || {};
      Object.keys(content).forEach(function (type) {
        body.appendChild(el("p", type, "muted"));
        body.appendChild(el("pre", JSON.stringify(resolve(spec, content[type].schema), null, 2)));
      });
    }
    body.appendChild(el("h3", msg("msgResponses", "Responses")));
    Object.keys(op.responses || {}).forEach(function (status) {
      var r = op.responses[status];
      var d = el("details");
      var s = specText("summary", status + " — " + (r.description || ""));
      d.appendChild(s);
      Object.keys(r.content || {}).forEach(function (type) {
        var name = refName(r.content[type].schema);
        d.appendChild(el("p", type + (name ? " · " + name : ""), "muted"));
        d.appendChild(el("pre", JSON.stringify(resolve(spec, r.content[type].schema), null, 2)));
      });
      body.appendChild(d);
    });
    body.appendChild(el("h3", msg("msgTry", "Try it")));
    body.appendChild(tryForm(path, method, op));
    details.appendChild(body);
    return details;
  }

  function render(spec) {
    var info = document.getElementById("docs-info");
    info.appendChild(el("h2", (spec.info && spec.info.title || "API") + " " + (spec.info && spec.info.version || "")));
    if (spec.info && spec.info.description) info.appendChild(specText("p", spec.info.description));
    var ops = document.getElementById("operations");
    Object.keys(spec.paths || {}).forEach(function (path) {
      Object.keys(spec.paths[path]).forEach(function (method) {
        ops.appendChild(operation(spec, path, method, spec.paths[path][method]));
      });
    });
  }

  function init() {
    var root = document.getElementById("api-docs");
    if (!root) return;
    MSG = root.dataset;
    SPEC_LANG = root.dataset.specLang || "";
    var status = document.getElementById("docs-status");
    fetch(root.dataset.spec || "/openapi.json", { headers: { "Accept": "application/json" } })
      .then(function (resp) { return resp.json(); })
      .then(function (spec) { status.textContent = ""; render(spec); })
      .catch(function (err) { status.className = "status error"; status.textContent = String(err); });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
