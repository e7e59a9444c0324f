/* The explorer's scoring engine: evalkit/aggregate.py's arithmetic and geometric means, the
   coverage rule of evalkit/pipeline.py (report.min_coverage) and Result.ranks, in plain JS.
   Pure functions of the page's JSON data; no DOM.  Source: docs/methods.md#arithmetic,
   #geometric, #coverage. */
var EK = (function () {
  "use strict";
  var EPS = Math.pow(2, -52);

  /* One node: children's scores S (n_units × k, row-major, NaN = missing), weights w (k).
     arithmetic: Σ_{present} w_j s_j / Σ_{present} w_j; geometric: exp(Σ w_j ln(s_j − lo + shift) / Σ w_j)
     + lo − shift; NaN when the present share of the weight is below minShare; clipped to the
     present children's range (aggregate._hull_clip). */
  function aggregate(method, S, U, k, w, lo, minShare, shift) {
    var out = new Float64Array(U);
    var wsum = 0, j;
    for (j = 0; j < k; j++) wsum += w[j];
    var wn = new Float64Array(k);
    for (j = 0; j < k; j++) wn[j] = w[j] / wsum;
    var tol = minShare - 4 * k * EPS;
    var geo = method === "geometric";
    for (var u = 0; u < U; u++) {
      var base = u * k, share = 0, total = 0, mn = Infinity, mx = -Infinity, any = false;
      for (j = 0; j < k; j++) {
        var s = S[base + j];
        if (s !== s) continue;
        any = true;
        share += wn[j];
        if (s < mn) mn = s;
        if (s > mx) mx = s;
        if (geo) {
          if (w[j] > 0) total += Math.log(Math.max(s - lo, 0) + shift) * w[j];
        } else {
          total += s * w[j];
        }
      }
      if (!(any && share >= tol && share > 0)) { out[u] = NaN; continue; }
      var sc = geo ? Math.exp(total / (share * wsum)) + lo - shift : total / (share * wsum);
      out[u] = sc < mn ? mn : (sc > mx ? mx : sc);
    }
    return out;
  }

  /* Every node's scores for one year: {scores: [Float64Array(U) per node], gw, cov (root, domains)}.
     weights: {node id: [w per child]}; method: the aggregation of every node without its own. */
  function score(D, year, weights, method) {
    var nodes = D.nodes, U = D.units.length, L = D.n_leaves;
    var yd = D.data[String(year)];
    var lo = D.scale[0];
    var scores = new Array(nodes.length);
    var local = new Float64Array(nodes.length);
    var i, u, j;
    for (i = 0; i < nodes.length; i++) {
      var n = nodes[i];
      if (n.leaf !== undefined) {
        var col = new Float64Array(U);
        for (u = 0; u < U; u++) { var v = yd.s[u * L + n.leaf]; col[u] = v === null ? NaN : v; }
        scores[i] = col;
        continue;
      }
      var k = n.children.length, w = weights[n.id];
      var S = new Float64Array(U * k);
      for (j = 0; j < k; j++) {
        var c = scores[n.children[j]];
        for (u = 0; u < U; u++) S[u * k + j] = c[u];
        local[n.children[j]] = w[j];
      }
      scores[i] = aggregate(n.agg || method, S, U, k, w, lo, D.min_share, n.shift);
    }
    // global weights, root first (nodes are in post-order: the root is last)
    var gw = new Float64Array(nodes.length);
    for (i = nodes.length - 1; i >= 0; i--) {
      var p = nodes[i].parent;
      gw[i] = p === null ? 1 : local[i] * gw[indexOf(D, p)];
    }
    // coverage: a unit-year below min_coverage loses the scores of its inner nodes below it
    var minCov = D.min_coverage - 1e-12;
    var leafGw = new Float64Array(L);
    for (i = 0; i < nodes.length; i++) if (nodes[i].leaf !== undefined) leafGw[nodes[i].leaf] = gw[i];
    var covOf = function (n) {
      var under = n.under, m = new Float64Array(under.length), tot = 0, q;
      for (q = 0; q < under.length; q++) { m[q] = leafGw[under[q]]; tot += m[q]; }
      if (!(tot > 0)) { for (q = 0; q < under.length; q++) m[q] = 1; tot = under.length; }
      for (q = 0; q < under.length; q++) m[q] = m[q] / tot;
      var cov = new Float64Array(U);
      for (u = 0; u < U; u++) {
        var acc = 0;
        for (q = 0; q < under.length; q++) if (yd.r[u * L + under[q]]) acc += m[q];
        cov[u] = acc < 0 ? 0 : (acc > 1 ? 1 : acc);
      }
      return cov;
    };
    var rootCov = covOf(nodes[D.root]);
    var cov = {};
    for (i = 0; i < nodes.length; i++) {
      if (nodes[i].leaf !== undefined) continue;
      var ci = i === D.root ? rootCov : covOf(nodes[i]);
      cov[i] = ci;
      var sc = scores[i];
      for (u = 0; u < U; u++) if (rootCov[u] < minCov && ci[u] < minCov && sc[u] === sc[u]) sc[u] = NaN;
    }
    return {scores: scores, gw: gw, cov: cov};
  }

  var _idx = null;
  function indexOf(D, id) {
    if (_idx === null || _idx.D !== D) {
      _idx = {D: D, m: {}};
      for (var i = 0; i < D.nodes.length; i++) _idx.m[D.nodes[i].id] = i;
    }
    return _idx.m[id];
  }

  /* numpy's round (half to even) to d decimals, as Result.rank_scores. */
  function roundHalfEven(x, d) {
    var f = Math.pow(10, d), y = x * f, r = Math.round(y);
    if (Math.abs(y % 1) === 0.5) r = 2 * Math.round(y / 2);
    return r / f;
  }

  /* Ranks 1 = best, ties share the best rank (pipeline.rank_min); NaN score, NaN rank. */
  function ranks(s, rankRound) {
    var U = s.length, order = [], u;
    var v = new Float64Array(U);
    for (u = 0; u < U; u++) {
      v[u] = (rankRound === null || rankRound === undefined || s[u] !== s[u]) ? s[u] : roundHalfEven(s[u], rankRound);
      if (v[u] === v[u]) order.push(u);
    }
    order.sort(function (a, b) { return v[b] - v[a] || a - b; });
    var r = new Float64Array(U).fill(NaN);
    for (var q = 0; q < order.length; q++) {
      r[order[q]] = (q > 0 && v[order[q]] === v[order[q - 1]]) ? r[order[q - 1]] : q + 1;
    }
    return r;
  }

  /* A number as YAML reads it as a float (PyYAML wants a dot and a signed exponent: 1e-7 -> 1.0e-7). */
  function yamlNumber(x) {
    var s = String(x);
    if (s.indexOf("e") >= 0 && s.indexOf(".") < 0) s = s.replace("e", ".0e");
    return s;
  }

  /* The weights as a scheme file `evalkit run` reads: every inner node `method: fixed`. */
  function weightsYaml(D, weights, method, header) {
    var lines = [];
    (header || []).forEach(function (h) { lines.push("# " + h); });
    lines.push("default: {method: equal}");
    lines.push("nodes:");
    D.nodes.forEach(function (n) {
      if (n.leaf !== undefined) return;
      var w = weights[n.id];
      lines.push("  " + JSON.stringify(n.id) + ":");
      lines.push("    method: fixed");
      lines.push("    weights:");
      n.children.forEach(function (c, j) {
        lines.push("      " + JSON.stringify(D.nodes[c].id) + ": " + yamlNumber(w[j]));
      });
    });
    return lines.join("\n") + "\n";
  }

  /* Child `j` of a node set to `v`; locked children keep theirs, the other free ones share the
     rest in proportion to their weights (equally when they are all 0).  Returns new weights. */
  function rebalance(w, j, v, locked) {
    var k = w.length, out = w.slice(), lockedSum = 0, freeSum = 0, free = [], q;
    for (q = 0; q < k; q++) {
      if (q === j) continue;
      if (locked[q]) lockedSum += w[q]; else { free.push(q); freeSum += w[q]; }
    }
    if (free.length === 0) return out;                   // nothing can give way
    var room = Math.max(0, 1 - lockedSum);
    v = Math.min(Math.max(v, 0), room);
    out[j] = v;
    var rest = room - v;
    free.forEach(function (q) { out[q] = freeSum > 0 ? rest * w[q] / freeSum : rest / free.length; });
    return out;
  }

  return {aggregate: aggregate, score: score, ranks: ranks, weightsYaml: weightsYaml, rebalance: rebalance,
          yamlNumber: yamlNumber, indexOf: indexOf};
})();
if (typeof module !== "undefined") module.exports = EK;
