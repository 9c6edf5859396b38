// crmgraph explorer: pick a company, product or party, pick a question, see the answer
// drawn as a graph. Plain script, no build step; cytoscape.js is loaded before it.
// Every answer comes from the public /graphql endpoint with the caller's credential.
"use strict";
(function () {
  var CREDENTIAL = "crmgraph.credential"; // sessionStorage: forgotten when the tab closes
  var graphiqlPath = document.body.getAttribute("data-graphiql") || "";
  var $ = function (id) { return document.getElementById(id); };

  // ---- GraphQL over HTTP ---------------------------------------------------------------
  function credential() {
    try { return sessionStorage.getItem(CREDENTIAL) || ""; } catch (e) { return ""; }
  }

  function graphql(document_, variables) {
    var headers = { "content-type": "application/json", accept: "application/json" };
    var cred = credential();
    if (cred) headers.authorization = "Bearer " + cred;
    return fetch("/graphql", {
      method: "POST", headers: headers, credentials: "omit",
      body: JSON.stringify({ query: document_, variables: variables }),
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (body) {
        if (body.errors && body.errors.length) {
          var err = body.errors[0];
          var code = err.extensions && err.extensions.code;
          if (response.status === 401) throw new Error("the API wants credentials: paste an API key or bearer token above (" + err.message + ")");
          throw new Error((code ? code + ": " : "") + err.message);
        }
        if (!response.ok) throw new Error("HTTP " + response.status);
        return body.data;
      });
    });
  }

  // ---- formatting ------------------------------------------------------------------------
  function money(value) { // a number today; a Money {amount, currency} or a decimal string later
    if (value === null || value === undefined) return "–";
    if (typeof value === "object" && "amount" in value) return value.amount + " " + (value.currency || "");
    var n = Number(value);
    return isNaN(n) ? String(value) : n.toLocaleString("en", { maximumFractionDigits: 2 });
  }
  function amountOf(value) { // a Money's amount as a number, for sizing nodes only
    return value && typeof value === "object" ? Number(value.amount) : Number(value || 0);
  }
  function pct(value) { return value === null || value === undefined ? "" : Math.round(value * 10) / 10 + " %"; }
  function esc(text) {
    return String(text === null || text === undefined ? "" : text).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }
  function kindOf(node) { return node.__typename || (node.id || "").split(":")[0].replace(/^./, function (c) { return c.toUpperCase(); }); }
  function nameOf(node) { return node.name || node.id; }

  // The key property of a relationship, for its label.
  var KEY_PROPERTY = {
    SUPPLIES: function (p) {
      return [p.sharePct !== null && p.sharePct !== undefined ? pct(p.sharePct) : "",
              p.leadTimeDays !== null && p.leadTimeDays !== undefined ? p.leadTimeDays + " d" : ""].filter(Boolean).join(" · ");
    },
    COMPONENT_OF: function (p) { return p.qty ? "×" + p.qty : ""; },
    REFERRED: function (p) { return p.status || ""; },
    WORKS_FOR: function (p) { return p.title || ""; },
    RESELLS_FOR: function (p) { return p.channelType || p.region || ""; },
  };
  function edgeLabel(type, props) {
    var key = KEY_PROPERTY[type] ? KEY_PROPERTY[type](props || {}) : "";
    return key ? type + " " + key : type;
  }

  // ---- the questions -----------------------------------------------------------------------
  var NODE = "__typename id ... on Party { name } ... on Product { name }"; // any Node
  var PARTY = "__typename id name"; // a Party or a Company

  function Graph() { this.nodes = {}; this.order = []; this.edges = []; }
  Graph.prototype.node = function (node, extra) {
    var id = node.id;
    if (!this.nodes[id]) {
      this.nodes[id] = { id: id, label: nameOf(node), kind: kindOf(node), classes: [], info: {} };
      this.order.push(id);
    }
    var n = this.nodes[id];
    if (node.name && n.label === id) n.label = node.name;
    if (extra) Object.keys(extra).forEach(function (k) {
      if (k === "classes") n.classes = n.classes.concat(extra.classes); else n[k] = extra[k];
    });
    return n;
  };
  Graph.prototype.edge = function (source, target, type, props, classes) {
    this.edges.push({ id: "e" + this.edges.length, source: source, target: target, type: type,
                      label: edgeLabel(type, props), props: props || {}, classes: classes || [] });
  };

  function supplyChainDocument(kind) {
    var arg = kind === "Product" ? "productId" : "companyId";
    return "query SupplyChain($id: ID!, $direction: ChainDirection!, $depth: Int!) {\n" +
      "  supplyChain(" + arg + ": $id, direction: $direction, maxDepth: $depth) {\n" +
      "    root { " + NODE + " }\n" +
      "    nodes { tier paths singleSource node { " + NODE + " } makers { id name } }\n" +
      "    edges { from to type tier products sharePct leadTimeDays singleSource contractEnd qty }\n" +
      "    truncated\n  }\n}\n";
  }

  function drawChain(g, chain, sign) {
    g.node(chain.root, { tier: 0, classes: ["root"] });
    chain.nodes.forEach(function (n) {
      g.node(n.node, { tier: sign * n.tier, classes: n.singleSource ? ["single-source"] : [],
                       info: { tier: n.tier, paths: n.paths, singleSource: n.singleSource } });
      (n.makers || []).forEach(function (maker) {
        g.node(Object.assign({ __typename: "Company" }, maker), { tier: sign * (n.tier + 0.5) });
        g.edge(maker.id, n.node.id, "MAKES", {});
      });
    });
    chain.edges.forEach(function (e) {
      g.edge(e.from, e.to, e.type, e, e.singleSource === true ? ["single-source"] : []);
    });
  }

  function supplyQuestion(direction) {
    return {
      label: "Supply chain " + (direction === "DOWNSTREAM" ? "downstream (customers)" : "upstream (suppliers)"),
      kinds: ["Company", "Product"], layout: "tiers",
      document: function (root) { return supplyChainDocument(root.kind); },
      variables: function (root, depth) { return { id: root.id, direction: direction, depth: depth }; },
      draw: function (data) {
        if (!data.supplyChain) throw new Error("not found, or not visible with this credential");
        var g = new Graph();
        drawChain(g, data.supplyChain, direction === "DOWNSTREAM" ? 1 : -1);
        g.truncated = data.supplyChain.truncated;
        return g;
      },
    };
  }

  var QUESTIONS = {
    "supply-down": supplyQuestion("DOWNSTREAM"),
    "supply-up": supplyQuestion("UPSTREAM"),
    "indirect-customers": {
      label: "Indirect customers", kinds: ["Company"], layout: "tiers",
      document: function () {
        return "query IndirectCustomers($id: ID!, $depth: Int!) {\n" +
          "  indirectCustomers(companyId: $id, maxDepth: $depth, first: 20, customersPerIntermediary: 10) {\n" +
          "    company { " + PARTY + " }\n" +
          "    totalIntermediaries totalCustomers totalRevenue { amount currency }\n" +
          "    intermediaries {\n      routes revenue { amount currency } orderCount customerCount\n" +
          "      intermediary { " + PARTY + " }\n      path { " + NODE + " }\n" +
          "      customers { revenue { amount currency } orderCount party { " + PARTY + " } }\n    }\n  }\n}\n";
      },
      variables: function (root, depth) { return { id: root.id, depth: depth }; },
      draw: function (data) {
        var answer = data.indirectCustomers;
        if (!answer) throw new Error("not found, or not visible with this credential");
        var g = new Graph(), seen = {};
        g.node(answer.company, { tier: 0, classes: ["root"] });
        answer.intermediaries.forEach(function (group) {
          var path = group.path.length ? group.path : [answer.company, group.intermediary];
          path.forEach(function (node, i) {
            g.node(node, { tier: i });
            if (i > 0 && !seen[path[i - 1].id + ">" + node.id]) {
              seen[path[i - 1].id + ">" + node.id] = true;
              g.edge(path[i - 1].id, node.id, i === path.length - 1 ? group.routes.join("/") : "DOWNSTREAM", {});
            }
          });
          g.node(group.intermediary, { revenue: amountOf(group.revenue), info: { revenue: money(group.revenue), orders: group.orderCount, customers: group.customerCount, routes: group.routes.join(", ") } });
          group.customers.forEach(function (c) {
            g.node(c.party, { tier: path.length, revenue: amountOf(c.revenue), info: { revenue: money(c.revenue), orders: c.orderCount } });
            g.edge(group.intermediary.id, c.party.id, "BOUGHT", {}, []);
            g.edges[g.edges.length - 1].label = "BOUGHT " + money(c.revenue);
          });
        });
        g.summary = "<table><tr><td>intermediaries</td><td>" + answer.totalIntermediaries + "</td></tr>" +
          "<tr><td>indirect customers</td><td>" + answer.totalCustomers + "</td></tr>" +
          "<tr><td>revenue</td><td>" + money(answer.totalRevenue) + "</td></tr></table>";
        return g;
      },
    },
    disruption: {
      label: "Disruption impact (if it fails)", kinds: ["Company"], layout: "tiers",
      document: function () {
        return "query Disruption($id: ID!, $depth: Int!) {\n" +
          "  disruptionImpact(companyId: $id, maxDepth: $depth) {\n" +
          "    company { " + PARTY + " }\n" +
          "    companies { tier alternativeSuppliers hasAlternative company { " + PARTY + " } }\n" +
          "    products { tier otherMakers hasAlternative product { " + NODE + " } }\n" +
          "    openOrderCount openOrderValue { amount currency }\n    openOrders { order { id } customer { " + PARTY + " } }\n" +
          "    endCustomerCount endCustomers { " + PARTY + " }\n    revenueAtRisk { amount currency } from to truncated\n  }\n" +
          "  supplyChain(companyId: $id, direction: DOWNSTREAM, maxDepth: $depth) {\n" +
          "    root { " + NODE + " }\n" +
          "    nodes { tier paths singleSource node { " + NODE + " } makers { id name } }\n" +
          "    edges { from to type tier products sharePct leadTimeDays singleSource contractEnd qty }\n" +
          "    truncated\n  }\n}\n";
      },
      variables: function (root, depth) { return { id: root.id, depth: depth }; },
      draw: function (data) {
        var impact = data.disruptionImpact;
        if (!impact || !data.supplyChain) throw new Error("not found, or not visible with this credential");
        var g = new Graph();
        drawChain(g, data.supplyChain, 1);
        g.node(impact.company, { classes: ["failing"] });
        impact.companies.forEach(function (c) {
          g.node(c.company, { tier: g.nodes[c.company.id] ? g.nodes[c.company.id].tier : c.tier,
                              classes: ["disrupted", c.hasAlternative ? "has-alternative" : "no-alternative"],
                              info: { hit: "tier " + c.tier, alternativeSuppliers: c.alternativeSuppliers } });
        });
        var list = function (items, f) {
          return "<ul>" + items.map(function (x) { return "<li>" + f(x) + "</li>"; }).join("") + "</ul>";
        };
        g.summary = "<table><tr><td>revenue at risk</td><td>" + money(impact.revenueAtRisk) + "</td></tr>" +
          "<tr><td>open orders</td><td>" + impact.openOrderCount + " (" + money(impact.openOrderValue) + ")</td></tr>" +
          "<tr><td>end customers</td><td>" + impact.endCustomerCount + "</td></tr>" +
          "<tr><td>companies hit</td><td>" + impact.companies.length + "</td></tr></table>" +
          "<h2>Products hit</h2>" + list(impact.products, function (p) {
            return esc(nameOf(p.product)) + " <small>tier " + p.tier + (p.hasAlternative ? ", has an alternative" : ", <b>no alternative</b>") + "</small>";
          }) + "<h2>End customers</h2>" + list(impact.endCustomers, function (p) { return esc(nameOf(p)); });
        return g;
      },
    },
    "referral-tree": {
      label: "Referral tree (whom it referred)", kinds: ["Person", "Company"], layout: "tree",
      document: function () {
        return "query ReferralTree($id: ID!, $depth: Int!) {\n" +
          "  referralTree(partyId: $id, maxDepth: $depth) {\n" +
          "    root { " + PARTY + " }\n    nodes { generation party { " + PARTY + " } }\n" +
          "    edges { from to status channel at }\n" +
          "    generations { generation invited converted conversionRate revenue { amount currency } }\n    truncated\n  }\n}\n";
      },
      variables: function (root, depth) { return { id: root.id, depth: depth }; },
      draw: function (data) {
        var tree = data.referralTree;
        if (!tree) throw new Error("not found, or not visible with this credential");
        var g = new Graph();
        g.node(tree.root, { tier: 0, classes: ["root"] });
        tree.nodes.forEach(function (n) { g.node(n.party, { tier: n.generation, info: { generation: n.generation } }); });
        tree.edges.forEach(function (e) { g.edge(e.from, e.to, "REFERRED", e, ["status-" + (e.status || "unknown")]); });
        g.roots = [tree.root.id];
        g.truncated = tree.truncated;
        g.summary = "<table><tr><th>gen.</th><th>invited</th><th>converted</th><th>rate</th><th>revenue</th></tr>" +
          tree.generations.map(function (x) {
            return "<tr><td>" + x.generation + "</td><td>" + x.invited + "</td><td>" + x.converted + "</td><td>" +
              pct(x.conversionRate * 100) + "</td><td>" + money(x.revenue) + "</td></tr>";
          }).join("") + "</table>";
        return g;
      },
    },
    "referral-chain": {
      label: "Referral chain (who referred it)", kinds: ["Person", "Company"], layout: "tree",
      document: function () {
        return "query ReferralChain($id: ID!, $depth: Int!) {\n" +
          "  referralChain(partyId: $id, maxDepth: $depth) {\n" +
          "    party { " + PARTY + " }\n    referrers { generation party { " + PARTY + " } }\n" +
          "    edges { from to status channel at }\n    truncated\n  }\n}\n";
      },
      variables: function (root, depth) { return { id: root.id, depth: depth }; },
      draw: function (data) {
        var chain = data.referralChain;
        if (!chain) throw new Error("not found, or not visible with this credential");
        var g = new Graph(), top = chain.party.id, topGen = 0;
        g.node(chain.party, { tier: 0, classes: ["root"] });
        chain.referrers.forEach(function (n) {
          g.node(n.party, { tier: -n.generation, info: { generation: n.generation } });
          if (n.generation > topGen) { topGen = n.generation; top = n.party.id; }
        });
        chain.edges.forEach(function (e) { g.edge(e.from, e.to, "REFERRED", e, ["status-" + (e.status || "unknown")]); });
        g.roots = [top];
        g.truncated = chain.truncated;
        return g;
      },
    },
    "shortest-path": {
      label: "Shortest path to another party", kinds: ["Person", "Company"], layout: "tiers", needsTarget: true, maxDepth: 6,
      document: function () {
        return "query ShortestPath($from: ID!, $to: ID!, $depth: Int!) {\n" +
          "  shortestPath(from: $from, to: $to, maxDepth: $depth) {\n" +
          "    length\n    nodes { " + NODE + " }\n    relationships { type from to properties }\n  }\n}\n";
      },
      variables: function (root, depth, target) { return { from: root.id, to: target ? target.id : null, depth: depth }; },
      draw: function (data, root, depth) {
        var g = new Graph();
        if (!data.shortestPath) { g.empty = "no path within " + depth + " hops"; return g; }
        data.shortestPath.nodes.forEach(function (n, i) { g.node(n, { tier: i, classes: i === 0 ? ["root"] : [] }); });
        data.shortestPath.relationships.forEach(function (r) {
          var props = r.properties || {};
          g.edge(r.from, r.to, r.type, props, props.singleSource === true ? ["single-source"] : []);
        });
        return g;
      },
    },
  };

  // ---- drawing ---------------------------------------------------------------------------------
  var COLORS = { Company: "#3b7dd8", Person: "#2fa66b", Product: "#e0a526" };
  var cy = cytoscape({
    container: $("graph"), minZoom: 0.2, maxZoom: 3,
    style: [
      { selector: "node", style: {
        label: "data(label)", "background-color": "data(color)", width: "data(size)", height: "data(size)",
        "font-size": 11, "text-valign": "bottom", "text-margin-y": 4, "text-wrap": "wrap", "text-max-width": 140,
        "border-width": 1, "border-color": "#fff" } },
      { selector: "node.root", style: { "border-width": 4, "border-color": "#1d2330", "font-weight": "bold" } },
      { selector: "node.single-source", style: { "border-width": 4, "border-color": "#d7263d", "border-style": "dashed" } },
      { selector: "node.disrupted", style: { "background-color": "#e4572e" } },
      { selector: "node.no-alternative", style: { "background-color": "#8c1c13", "font-weight": "bold" } },
      { selector: "node.failing", style: { "background-color": "#1d2330", "border-color": "#e4572e", "border-width": 5 } },
      { selector: "node:selected", style: { "overlay-color": "#9cc3ff", "overlay-opacity": 0.35 } },
      { selector: "edge", style: {
        label: "data(label)", width: 2, "line-color": "#9aa3b5", "target-arrow-color": "#9aa3b5",
        "target-arrow-shape": "triangle", "curve-style": "bezier", "font-size": 9, "text-rotation": "autorotate",
        "text-background-color": "#fff", "text-background-opacity": 0.85, "text-background-padding": 2 } },
      { selector: "edge.single-source", style: { width: 5, "line-color": "#d7263d", "target-arrow-color": "#d7263d", color: "#d7263d", "font-weight": "bold" } },
      { selector: "edge.status-converted, edge.status-rewarded", style: { "line-color": "#2fa66b", "target-arrow-color": "#2fa66b" } },
      { selector: "edge.status-invited", style: { "line-style": "dashed" } },
      { selector: "edge.status-rejected", style: { "line-style": "dotted", "line-color": "#c9a0a0", "target-arrow-color": "#c9a0a0" } },
    ],
  });

  function sizes(g) {
    var max = 0;
    g.order.forEach(function (id) { var r = Number(g.nodes[id].revenue || 0); if (r > max) max = r; });
    g.order.forEach(function (id) {
      var n = g.nodes[id];
      if (max > 0 && n.revenue !== undefined && n.revenue !== null) {
        n.size = 26 + 44 * Math.sqrt(Number(n.revenue) / max); // by revenue
      } else {
        n.size = Math.max(28, 64 - 10 * Math.abs(n.tier || 0)); // by tier: the root is largest
      }
    });
  }

  function positions(g) { // tiers left to right; within a tier, near the nodes linked to it
    var byTier = {}, pos = {}, neighbours = {};
    g.order.forEach(function (id) { var t = g.nodes[id].tier || 0; (byTier[t] = byTier[t] || []).push(id); });
    g.edges.forEach(function (e) {
      (neighbours[e.source] = neighbours[e.source] || []).push(e.target);
      (neighbours[e.target] = neighbours[e.target] || []).push(e.source);
    });
    var tiers = Object.keys(byTier).map(Number).sort(function (a, b) { return Math.abs(a) - Math.abs(b) || a - b; });
    tiers.forEach(function (t) {
      var placed = function (id) {
        var ys = (neighbours[id] || []).filter(function (n) { return pos[n]; }).map(function (n) { return pos[n].y; });
        return ys.length ? ys.reduce(function (a, b) { return a + b; }, 0) / ys.length : 0;
      };
      var ids = byTier[t].map(function (id, i) { return { id: id, y: placed(id), i: i }; })
        .sort(function (a, b) { return a.y - b.y || a.i - b.i; });
      ids.forEach(function (n, i) { pos[n.id] = { x: t * 260, y: (i - (ids.length - 1) / 2) * 110 }; });
    });
    return pos;
  }

  function render(g, question) {
    sizes(g);
    cy.elements().remove();
    cy.add(g.order.map(function (id) {
      var n = g.nodes[id];
      return { group: "nodes", data: { id: id, label: n.label, kind: n.kind, color: COLORS[n.kind] || "#888", size: n.size,
                                        tier: n.tier, info: n.info }, classes: n.classes.join(" ") };
    }));
    cy.add(g.edges.filter(function (e) { return g.nodes[e.source] && g.nodes[e.target]; }).map(function (e) {
      return { group: "edges", data: { id: e.id, source: e.source, target: e.target, label: e.label, type: e.type,
                                        props: e.props }, classes: e.classes.join(" ") };
    }));
    var layout;
    if (question.layout === "tree") {
      layout = { name: "breadthfirst", directed: true, roots: g.roots, spacingFactor: 1.2, padding: 30 };
    } else {
      var pos = positions(g);
      layout = { name: "preset", positions: function (node) { return pos[node.id()]; }, padding: 40 };
    }
    cy.layout(layout).run();
    cy.fit(undefined, 40);
  }

  // ---- state and controls ----------------------------------------------------------------------
  var state = { root: null, target: null, question: null, lastDocument: "", lastVariables: null, graph: null, selected: null };

  function setStatus(text, kind) { var s = $("status"); s.textContent = text; s.setAttribute("data-state", kind); }

  function setRoot(root) {
    state.root = root;
    $("root-label").textContent = root ? root.name + " (" + root.kind.toLowerCase() + ", " + root.id + ")" : "nothing picked yet";
    var select = $("question"), previous = select.value;
    select.innerHTML = "";
    Object.keys(QUESTIONS).forEach(function (key) {
      if (!root || QUESTIONS[key].kinds.indexOf(root.kind) >= 0) {
        var option = document.createElement("option");
        option.value = key; option.textContent = QUESTIONS[key].label;
        select.appendChild(option);
      }
    });
    if (previous && select.querySelector('option[value="' + previous + '"]')) select.value = previous;
    questionChanged();
  }

  function questionChanged() {
    var q = QUESTIONS[$("question").value];
    $("to-box").hidden = !(q && q.needsTarget);
    $("depth").max = q && q.maxDepth ? q.maxDepth : 10;
  }

  var SEARCH = "query Search($text: String!, $capitalized: String!, $first: Int!) {\n" +
    "  parties(first: $first, filter: {OR: [{name: {contains: $text}}, {name: {contains: $capitalized}}]}) { nodes { __typename id name } }\n" +
    "  products(first: $first, filter: {OR: [{name: {contains: $text}}, {name: {contains: $capitalized}}]}) { nodes { __typename id name } }\n}\n";

  function typeahead(input, list, kinds, pick) {
    var timer = null, generation = 0;
    input.addEventListener("keydown", function (event) { // Enter takes the first suggestion
      var first = list.querySelector("button");
      if (event.key === "Enter" && first) { event.preventDefault(); first.click(); }
    });
    input.addEventListener("input", function () {
      clearTimeout(timer);
      var text = input.value.trim();
      if (text.length < 2) { list.innerHTML = ""; return; }
      timer = setTimeout(function () {
        var mine = ++generation;
        graphql(SEARCH, { text: text, capitalized: text.charAt(0).toUpperCase() + text.slice(1), first: 8 }).then(function (data) {
          if (mine !== generation) return;
          var found = data.parties.nodes.concat(data.products.nodes).filter(function (n) { return kinds.indexOf(n.__typename) >= 0; });
          list.innerHTML = "";
          if (!found.length) { list.innerHTML = "<li><small>no match</small></li>"; return; }
          found.forEach(function (n) {
            var li = document.createElement("li"), button = document.createElement("button");
            button.type = "button"; button.setAttribute("data-id", n.id);
            button.innerHTML = esc(n.name) + "<small>" + esc(n.__typename.toLowerCase()) + "</small>";
            button.addEventListener("click", function () {
              list.innerHTML = ""; input.value = n.name;
              pick({ id: n.id, name: n.name, kind: n.__typename });
            });
            li.appendChild(button); list.appendChild(li);
          });
        }).catch(function (err) { list.innerHTML = "<li><small>" + esc(err.message) + "</small></li>"; });
      }, 200);
    });
  }

  function draw() {
    var key = $("question").value, q = QUESTIONS[key];
    if (!state.root || !q) { setStatus("pick a company, product or party first", "error"); return Promise.resolve(); }
    if (q.needsTarget && !state.target) { setStatus("pick the party to reach", "error"); return Promise.resolve(); }
    var depth = Math.max(1, Math.min(Number($("depth").value) || 3, q.maxDepth || 10));
    $("depth").value = depth;
    var doc = q.document(state.root), variables = q.variables(state.root, depth, state.target);
    state.question = key; state.lastDocument = doc; state.lastVariables = variables;
    $("document").textContent = doc;
    $("variables").textContent = JSON.stringify(variables, null, 2);
    var link = $("open-graphiql");
    if (graphiqlPath) {
      link.hidden = false;
      link.href = graphiqlPath + "?" + new URLSearchParams({ q: doc, variables: JSON.stringify(variables, null, 2) }).toString();
    }
    var params = { root: state.root.id, question: key, depth: String(depth) };
    if (q.needsTarget) params.to = state.target.id;
    history.replaceState(null, "", "?" + new URLSearchParams(params).toString());
    setStatus("asking…", "busy");
    return graphql(doc, variables).then(function (data) {
      var g = q.draw(data, state.root, depth);
      state.graph = g;
      render(g, q);
      $("summary-box").hidden = !g.summary;
      $("summary").innerHTML = g.summary || "";
      var text = g.empty || (cy.nodes().length + " nodes · " + cy.edges().length + " edges" + (g.truncated ? " (truncated: raise the limit in GraphiQL)" : ""));
      setStatus(text, "done");
    }).catch(function (err) {
      cy.elements().remove();
      setStatus(err.message, "error");
    });
  }

  var DETAILS = "query Details($id: ID!) {\n  node(id: $id) {\n    __typename id\n" +
    "    ... on Party { name email phone city region country }\n    ... on Company { industry employeeCount website }\n" +
    "    ... on Person { occupation age }\n    ... on Product { sku name category }\n  }\n}\n";

  function showDetails(data, extra) {
    var rows = [];
    Object.keys(extra || {}).forEach(function (k) { rows.push([k, extra[k]]); });
    Object.keys(data || {}).forEach(function (k) {
      if (data[k] !== null && data[k] !== undefined && k !== "__typename") rows.push([k, data[k]]);
    });
    $("details").innerHTML = "<table>" + rows.map(function (r) {
      return "<tr><td>" + esc(r[0]) + "</td><td>" + esc(typeof r[1] === "object" ? JSON.stringify(r[1]) : r[1]) + "</td></tr>";
    }).join("") + "</table>";
    $("details-box").hidden = false;
  }

  cy.on("tap", "node", function (event) {
    var node = event.target;
    state.selected = { id: node.id(), name: node.data("label"), kind: node.data("kind") };
    showDetails(null, Object.assign({ id: node.id(), kind: node.data("kind") }, node.data("info") || {}));
    $("reroot").hidden = !Object.keys(QUESTIONS).some(function (k) { return QUESTIONS[k].kinds.indexOf(state.selected.kind) >= 0; });
    graphql(DETAILS, { id: node.id() }).then(function (data) {
      if (state.selected && state.selected.id === node.id()) showDetails(data.node, node.data("info") || {});
    }).catch(function (err) { setStatus(err.message, "error"); });
  });
  cy.on("tap", "edge", function (event) {
    var e = event.target;
    state.selected = null;
    showDetails(Object.assign({ type: e.data("type"), from: e.data("source"), to: e.data("target") }, e.data("props")), {});
    $("reroot").hidden = true;
  });

  $("reroot").addEventListener("click", function () {
    if (!state.selected) return;
    $("search").value = state.selected.name;
    setRoot(state.selected);
    draw();
  });
  $("question").addEventListener("change", questionChanged);
  $("draw").addEventListener("click", function () { draw(); });
  typeahead($("search"), $("suggestions"), ["Company", "Person", "Product"], setRoot);
  typeahead($("to-search"), $("to-suggestions"), ["Company", "Person"], function (target) {
    state.target = target;
    $("to-label").textContent = target.name + " (" + target.id + ")";
  });

  $("credential").value = credential();
  $("credential-state").textContent = credential() ? "using a credential" : "";
  $("credential-form").addEventListener("submit", function (event) {
    event.preventDefault();
    try {
      var value = $("credential").value.trim();
      if (value) sessionStorage.setItem(CREDENTIAL, value); else sessionStorage.removeItem(CREDENTIAL);
    } catch (e) { /* storage off: nothing kept */ }
    $("credential-state").textContent = credential() ? "using a credential" : "no credential";
  });
  if (!graphiqlPath) $("graphiql-link").hidden = true;

  // A link such as /explore?root=company:abc-steel&question=disruption&depth=3 draws at once.
  function lookup(id) {
    return graphql(DETAILS, { id: id }).then(function (data) {
      if (!data.node) throw new Error(id + ": not found, or not visible with this credential");
      return { id: data.node.id, name: data.node.name || data.node.id, kind: data.node.__typename };
    });
  }
  var params = new URLSearchParams(window.location.search);
  setRoot(null);
  if (params.get("root")) {
    Promise.all([lookup(params.get("root")), params.get("to") ? lookup(params.get("to")) : null]).then(function (found) {
      setRoot(found[0]);
      $("search").value = found[0].name;
      if (found[1]) { state.target = found[1]; $("to-label").textContent = found[1].name + " (" + found[1].id + ")"; }
      if (params.get("question") && QUESTIONS[params.get("question")]) { $("question").value = params.get("question"); questionChanged(); }
      if (params.get("depth")) $("depth").value = params.get("depth");
      return draw();
    }).catch(function (err) { setStatus(err.message, "error"); });
  }

  window.crmgraphExplorer = { cy: cy, state: state, questions: QUESTIONS, draw: draw };
})();
