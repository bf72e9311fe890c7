// kubekg SPARQL editor: example picker, run through fetch (SPARQL 1.1 Protocol), results as a table, download links.
// No inline script (the page's CSP forbids it); every value from the server is inserted as text, never as HTML.
(function () {
  "use strict";

  var KR = "https://kubekg.dev/id/";
  var FORMATS = ["json", "xml", "csv", "tsv", "turtle", "ntriples", "jsonld"];

  function $(id) { return document.getElementById(id); }

  function el(tag, text, cls) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (cls) node.className = cls;
    return node;
  }

  function isWebIri(value) { return /^https?:\/\//i.test(value); }

  function entityHref(iri) {
    if (iri.indexOf(KR) === 0 && /^[\w][\w.\/-]*$/.test(iri.slice(KR.length))) {
      return "/entity/" + iri.slice(KR.length).split("/").map(encodeURIComponent).join("/");
    }
    return "/entity/" + encodeURIComponent(iri);
  }

  function compact(iri) {
    var prefixes = [["kr:", KR], ["ks:", KR + "section/"], ["kg:", "https://kubekg.dev/ontology#"],
      ["rdf:", "http://www.w3.org/1999/02/22-rdf-syntax-ns#"], ["rdfs:", "http://www.w3.org/2000/01/rdf-schema#"],
      ["owl:", "http://www.w3.org/2002/07/owl#"], ["xsd:", "http://www.w3.org/2001/XMLSchema#"],
      ["skos:", "http://www.w3.org/2004/02/skos/core#"]];
    var best = null;
    prefixes.forEach(function (p) {
      if (iri.indexOf(p[1]) === 0 && (!best || p[1].length > best[1].length)) best = p;
    });
    if (best) {
      var local = iri.slice(best[1].length);
      if (/^[\w][\w.\/-]*$/.test(local)) return best[0] + local;
    }
    return "<" + iri + ">";
  }

  function cell(term) {
    var td = el("td");
    if (!term) return td;
    if (term.type === "uri") {
      var inGraph = term.value.indexOf("https://kubekg.dev/") === 0;
      if (inGraph || isWebIri(term.value)) {
        var a = el("a", compact(term.value));
        a.href = inGraph ? entityHref(term.value) : term.value;
        if (!inGraph) a.rel = "noopener noreferrer";
        a.title = term.value;
        td.appendChild(a);
      } else {
        td.textContent = compact(term.value);
      }
    } else if (term.type === "literal" || term.type === "typed-literal") {
      td.textContent = term.value;
      if (term["xml:lang"]) td.appendChild(el("span", " @" + term["xml:lang"], "muted"));
    } else {
      td.textContent = "_:" + term.value;
    }
    return td;
  }

  function init() {
    var root = $("sparql-editor");
    if (!root) return;
    var form = $("sparql-form"), textarea = $("query"), select = $("example-select");
    var assertedOnly = $("asserted-only"), runButton = $("run"), status = $("status"), results = $("results");
    var endpoint = root.dataset.endpoint || "/sparql";
    var msg = root.dataset;

    function params(extra) {
      var p = new URLSearchParams();
      p.set("query", textarea.value);
      if (assertedOnly && assertedOnly.checked) p.set("asserted-only", "true");
      Object.keys(extra || {}).forEach(function (k) { p.set(k, extra[k]); });
      return p;
    }

    function updateDownloads() {
      var links = document.querySelectorAll("#downloads a[data-format]");
      Array.prototype.forEach.call(links, function (a) {
        var fmt = a.dataset.format;
        if (FORMATS.indexOf(fmt) < 0) return;
        a.href = endpoint + "?" + params({ format: fmt }).toString();
        a.setAttribute("download", "results." + (fmt === "turtle" ? "ttl" : fmt === "ntriples" ? "nt" : fmt));
      });
    }

    function showError(text) {
      status.className = "status error";
      status.textContent = (msg.msgError || "Error") + ": " + text;
    }

    function renderTable(data, truncated) {
      var vars = (data.head && data.head.vars) || [];
      var rows = (data.results && data.results.bindings) || [];
      status.className = "status";
      status.textContent = rows.length + " " + (msg.msgRows || "rows") + (truncated ? " · " + (msg.msgTruncated || "truncated") : "");
      if (!rows.length) { results.appendChild(el("p", msg.msgNone || "No results", "none")); return; }
      var table = el("table", null, "result-table"), thead = el("thead"), tr = el("tr");
      vars.forEach(function (v) { tr.appendChild(el("th", "?" + v)); });
      thead.appendChild(tr);
      table.appendChild(thead);
      var tbody = el("tbody");
      rows.forEach(function (b) {
        var row = el("tr");
        vars.forEach(function (v) { row.appendChild(cell(b[v])); });
        tbody.appendChild(row);
      });
      table.appendChild(tbody);
      results.appendChild(table);
    }

    function run(event) {
      if (event) event.preventDefault();
      results.textContent = "";
      status.className = "status";
      status.textContent = msg.msgRunning || "Running…";
      runButton.disabled = true;
      fetch(endpoint, {
        method: "POST",
        headers: {
          "Content-Type": "application/x-www-form-urlencoded",
          "Accept": "application/sparql-results+json, text/turtle;q=0.9"
        },
        body: params().toString()
      }).then(function (resp) {
        var type = resp.headers.get("Content-Type") || "";
        var truncated = /^(1|true|yes)$/i.test(resp.headers.get("X-SPARQL-Truncated") || resp.headers.get("X-KubeKG-Truncated") || "");
        if (!resp.ok) {
          return resp.text().then(function (text) {
            var message = text;
            try { var body = JSON.parse(text); message = (body.error && body.error.message) || text; } catch (e) { /* not JSON */ }
            showError(resp.status + " " + message);
          });
        }
        if (type.indexOf("json") >= 0) {
          return resp.json().then(function (data) {
            if (typeof data.boolean === "boolean") {
              status.className = "status";
              status.textContent = "";
              results.appendChild(el("p", data.boolean ? msg.msgTrue : msg.msgFalse, "boolean-result"));
            } else {
              renderTable(data, truncated || (data.kubekg && data.kubekg.truncated === true));
            }
          });
        }
        return resp.text().then(function (text) {
          status.className = "status";
          status.textContent = "";
          results.appendChild(el("pre", text, "rdf-result"));
        });
      }).catch(function (err) {
        showError(String(err));
      }).then(function () {
        runButton.disabled = false;
      });
    }

    select.addEventListener("change", function () {
      var option = select.options[select.selectedIndex];
      if (option && option.dataset.query) {
        textarea.value = option.dataset.query;
        updateDownloads();
      }
    });
    textarea.addEventListener("input", updateDownloads);
    if (assertedOnly) assertedOnly.addEventListener("change", updateDownloads);
    form.addEventListener("submit", run);
    updateDownloads();
    if (new URLSearchParams(window.location.search).get("run") === "1") run();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
