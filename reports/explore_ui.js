/* The explorer's page: controls, league table, a city's domains; the state in the URL fragment. */
(function () {
  "use strict";
  var D = JSON.parse(document.getElementById("ex-data").textContent);
  var T = JSON.parse(document.getElementById("ex-texts").textContent);
  var $ = function (id) { return document.getElementById(id); };
  var nodes = D.nodes, U = D.units.length;
  var inner = [];
  nodes.forEach(function (n, i) { if (n.leaf === undefined) inner.push(i); });
  var project = {};
  inner.forEach(function (i) { project[nodes[i].id] = nodes[i].w.slice(); });
  var fmt = function (x, d) { return x === x ? x.toFixed(d) : "–"; };
  var esc = function (s) {
    return String(s).replace(/[&<>"']/g, function (c) {
      return {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c];
    });
  };
  var tx = function (key, fields) {
    var s = T[key] || key;
    Object.keys(fields || {}).forEach(function (f) { s = s.split("{" + f + "}").join(fields[f]); });
    return s;
  };

  // ------------------------------------------------------------------ state (in the fragment)
  var LIMIT = 100;  // rows drawn unless the reader asks for all: a 3000-row table takes ~0.4 s to redraw
  var state = {y: D.years[D.years.length - 1], m: D.method, n: nodes[D.root].id, u: null, w: {}, a: false};
  var locks = {};
  var hooks = null;
  function readFragment() {
    var h = location.hash.replace(/^#/, "");
    if (!h) return;
    try {
      var s = JSON.parse(decodeURIComponent(h));
      if (D.years.indexOf(s.y) >= 0) state.y = s.y;
      if (D.methods.indexOf(s.m) >= 0) state.m = s.m;
      if (typeof s.n === "string" && project[s.n]) state.n = s.n;
      if (typeof s.u === "string") state.u = s.u;
      state.a = s.a === true;
      Object.keys(s.w || {}).forEach(function (id) {
        var w = s.w[id];
        if (project[id] && Array.isArray(w) && w.length === project[id].length &&
            w.every(function (x) { return typeof x === "number" && x >= 0 && isFinite(x); })) state.w[id] = w.slice();
      });
      hooks = s.t || null;
    } catch (e) { /* a damaged link: start from the project's weights */ }
  }
  function weights() {
    var out = {};
    Object.keys(project).forEach(function (id) { out[id] = state.w[id] || project[id]; });
    return out;
  }
  function writeFragment() {
    var s = {y: state.y, m: state.m, n: state.n, u: state.u, w: state.w, a: state.a};
    history.replaceState(null, "", "#" + encodeURIComponent(JSON.stringify(s)));
  }

  // ------------------------------------------------------------------ controls
  function fillSelects() {
    $("ex-year").innerHTML = D.years.map(function (y) {
      return '<option value="' + y + '"' + (y === state.y ? " selected" : "") + ">" + y + "</option>";
    }).join("");
    $("ex-method").innerHTML = D.methods.map(function (m) {
      return '<option value="' + m + '"' + (m === state.m ? " selected" : "") + ">" + esc(tx("ex_m_" + m)) + "</option>";
    }).join("");
    $("ex-node").innerHTML = inner.slice().reverse().map(function (i) {
      var n = nodes[i], depth = 0, p = n.parent;
      while (p !== null) { depth++; p = nodes[EK.indexOf(D, p)].parent; }
      return '<option value="' + esc(n.id) + '"' + (n.id === state.n ? " selected" : "") + ">" +
        "\u00a0\u00a0".repeat(depth) + esc(n.name) + "</option>";
    }).join("");
  }

  function drawSliders() {
    var n = nodes[EK.indexOf(D, state.n)], w = weights()[n.id], lk = locks[n.id] || [];
    var html = n.children.map(function (c, j) {
      var cn = nodes[c], changed = Math.abs(w[j] - project[n.id][j]) > 5e-4;
      return '<div class="ex-row' + (changed ? " changed" : "") + '"><label for="ex-s-' + j + '">' + esc(cn.name) +
        '</label><input type="range" id="ex-s-' + j + '" min="0" max="1" step="any" value="' + w[j] +
        '" data-node="' + esc(n.id) + '" data-child="' + j + '" data-w="' + w[j] + '"' + (lk[j] ? " disabled" : "") +
        '><span class="ex-w">' + fmt(100 * w[j], 1) + ' %</span><span class="ex-was">' +
        esc(tx("ex_was", {w: fmt(100 * project[n.id][j], 1) + " %"})) + '</span><label class="ex-lock"><input type="checkbox" data-lock="' + j + '"' +
        (lk[j] ? " checked" : "") + "> " + esc(T.ex_lock) + "</label></div>";
    }).join("");
    if (n.agg) html += '<p class="note">' + esc(tx("ex_own_agg", {m: tx("ex_m_" + n.agg)})) + "</p>";
    $("ex-sliders").innerHTML = html;
  }

  // ------------------------------------------------------------------ results
  var baseCache = {};
  function baseline() {
    var key = state.y + "|" + state.m;
    if (!baseCache[key]) baseCache[key] = EK.ranks(EK.score(D, state.y, project, state.m).scores[D.root], D.rank_round);
    return baseCache[key];
  }

  function update() {
    var t0 = performance.now();
    var W = weights();
    var res = EK.score(D, state.y, W, state.m);
    var s = res.scores[D.root];
    var r = EK.ranks(s, D.rank_round), r0 = baseline();
    var order = [];
    for (var u = 0; u < U; u++) order.push(u);
    order.sort(function (a, b) {
      var ra = r[a] === r[a] ? r[a] : Infinity, rb = r[b] === r[b] ? r[b] : Infinity;
      return ra - rb || a - b;
    });
    var doms = D.domains.map(function (d) { return res.scores[d]; });
    var shown = state.a || U <= LIMIT ? order : order.slice(0, LIMIT);
    if (shown.length < U) {  // the chosen city is always in the table
      for (var q0 = LIMIT; q0 < U; q0++) if (D.units[order[q0]].id === state.u) shown = shown.concat([order[q0]]);
    }
    var rows = new Array(shown.length);
    for (var q = 0; q < shown.length; q++) {
      var i = shown[q], unit = D.units[i], shift = "";
      if (r[i] === r[i] && r0[i] === r0[i]) {
        var dr = r0[i] - r[i];
        shift = dr > 0 ? '<span class="up">▲' + dr + "</span>" : (dr < 0 ? '<span class="down">▼' + (-dr) + "</span>" : "=");
      }
      var cells = doms.map(function (c) { return '<td class="r">' + fmt(c[i], 1) + "</td>"; }).join("");
      rows[q] = '<tr data-unit="' + esc(unit.id) + '" data-score="' + (s[i] === s[i] ? String(s[i]) : "") + '"' +
        (unit.id === state.u ? ' class="sel"' : "") + '><td class="r">' + (r[i] === r[i] ? r[i] : "–") +
        '</td><th scope="row">' + esc(unit.label) + '</th><td class="r strong">' + fmt(s[i], 2) +
        '</td><td class="r">' + shift + "</td>" + cells + "</tr>";
    }
    $("ex-rows").innerHTML = rows.join("");
    $("ex-all").hidden = U <= LIMIT;
    $("ex-all").textContent = state.a ? tx("ex_show_top", {n: LIMIT}) : tx("ex_show_all", {n: U});
    $("ex-weights-out").setAttribute("data-weights", JSON.stringify(W));
    $("ex-weights-out").setAttribute("data-method", state.m);
    $("ex-weights-out").setAttribute("data-year", String(state.y));
    drawCity(res, W);
    drawSliders();
    var changed = Object.keys(state.w).length;
    $("ex-status").textContent = changed ? tx("ex_changed", {n: changed}) : T.ex_unchanged;
    writeFragment();
    return performance.now() - t0;
  }

  function drawCity(res, W) {
    var i = -1;
    for (var u = 0; u < U; u++) if (D.units[u].id === state.u) i = u;
    if (i < 0) { $("ex-city").innerHTML = '<p class="note">' + esc(T.ex_pick_city) + "</p>"; return; }
    var root = nodes[D.root], w = W[root.id], lo = D.scale[0], hi = D.scale[1];
    var geo = (root.agg || state.m) === "geometric";
    var present = 0;
    root.children.forEach(function (c, j) { var v = res.scores[c][i]; if (v === v) present += w[j]; });
    var html = '<h3>' + esc(D.units[i].label) + ' · ' + esc(fmt(res.scores[D.root][i], 2)) + "</h3>";
    html += '<p class="note">' + esc(geo ? T.ex_city_geo : T.ex_city_arith) + "</p><table class=\"data compact\"><thead><tr><th>" +
      esc(T.ex_domain) + '</th><th class="r">' + esc(T.ex_weight) + '</th><th class="r">' + esc(T.ex_score) +
      "</th><th>" + esc(geo ? T.ex_score : T.ex_contribution) + "</th></tr></thead><tbody>";
    root.children.forEach(function (c, j) {
      var v = res.scores[c][i], part = geo ? v - lo : (v === v ? w[j] * v / present : NaN);
      var width = v === v ? Math.max(0, Math.min(100, 100 * (geo ? part / (hi - lo) : part / (hi - lo)))) : 0;
      html += "<tr><th scope=\"row\">" + esc(nodes[c].name) + '</th><td class="r">' + fmt(100 * w[j], 1) +
        ' %</td><td class="r">' + fmt(v, 1) + '</td><td class="ex-barcell"><span class="ex-bar" style="width:' +
        width.toFixed(2) + '%"></span><span class="ex-barval">' + fmt(part, 2) + "</span></td></tr>";
    });
    $("ex-city").innerHTML = html + "</tbody></table>";
  }

  // ------------------------------------------------------------------ events
  function onSlide(ev) {
    var el = ev.target;
    if (!el.hasAttribute("data-child")) return;
    var id = el.getAttribute("data-node"), j = +el.getAttribute("data-child");
    var w = EK.rebalance(weights()[id], j, parseFloat(el.value), locks[id] || []);
    state.w[id] = w;
    if (w.every(function (x, q) { return x === project[id][q]; })) delete state.w[id];
    return update();
  }
  function download() {
    var text = EK.weightsYaml(D, weights(), state.m, [tx("ex_yaml_head", {title: D.title}),
      tx("ex_yaml_use", {m: state.m})]);
    var a = document.createElement("a");
    a.href = URL.createObjectURL(new Blob([text], {type: "application/x-yaml"}));
    a.download = "weights-explored.yaml";
    document.body.appendChild(a);
    a.click();
    a.remove();
    return text;
  }
  $("ex-sliders").addEventListener("input", onSlide);
  $("ex-sliders").addEventListener("change", function (ev) {
    var j = ev.target.getAttribute("data-lock");
    if (j === null) return;
    (locks[state.n] = locks[state.n] || [])[+j] = ev.target.checked;
    drawSliders();
  });
  $("ex-year").addEventListener("change", function (ev) { state.y = +ev.target.value; update(); });
  $("ex-method").addEventListener("change", function (ev) { state.m = ev.target.value; update(); });
  $("ex-node").addEventListener("change", function (ev) { state.n = ev.target.value; drawSliders(); writeFragment(); });
  $("ex-rows").addEventListener("click", function (ev) {
    var tr = ev.target.closest("tr");
    if (tr) { state.u = tr.getAttribute("data-unit"); update(); }
  });
  $("ex-all").addEventListener("click", function () { state.a = !state.a; update(); });
  $("ex-reset").addEventListener("click", function () { state.w = {}; locks = {}; update(); });
  $("ex-download").addEventListener("click", download);
  $("ex-link").addEventListener("click", function () {
    if (navigator.clipboard) navigator.clipboard.writeText(location.href);
    $("ex-status").textContent = T.ex_link_copied;
  });

  readFragment();
  fillSelects();
  update();

  // ------------------------------------------------------------------ test hooks (from the fragment)
  if (hooks) {
    if (hooks.lock) hooks.lock.forEach(function (j) { (locks[state.n] = locks[state.n] || [])[j] = true; });
    drawSliders();
    if (hooks.move) {
      state.n = hooks.move[0];
      drawSliders();
      var el = document.querySelector('#ex-sliders input[data-child="' + hooks.move[1] + '"]');
      el.disabled = false;  // a locked child is moved only by the hook, to check it stays put
      el.value = String(hooks.move[2]);
      el.dispatchEvent(new Event("input", {bubbles: true}));
    }
    if (hooks.yaml) $("ex-yaml-out").textContent = EK.weightsYaml(D, weights(), state.m, ["test"]);
    if (hooks.bench) {
      var times = [], id = nodes[D.root].id;
      for (var b = 0; b < hooks.bench; b++) {
        var e = document.querySelector('#ex-sliders input[data-child="0"]');
        e.value = String(0.1 + 0.8 * (b % 7) / 7);
        var t0 = performance.now();
        e.dispatchEvent(new Event("input", {bubbles: true}));
        void document.body.offsetHeight;  // the layout of the new table counts too
        times.push(performance.now() - t0);
      }
      times.sort(function (a, b) { return a - b; });
      document.body.setAttribute("data-ms-median", String(times[times.length >> 1]));
      document.body.setAttribute("data-ms-max", String(times[times.length - 1]));
      state.w = {};
      void id;
    }
  }
})();
