// GraphiQL with crmgraph's example tabs. Loaded by api/static/graphiql.html after React,
// ReactDOM, GraphiQL and the explorer plugin (all served by this server).
"use strict";
(function () {
  // Tabs are kept in localStorage under this prefix; a new set of examples bumps it, so
  // everyone sees the new tabs once instead of an older saved set.
  var PREFIX = "crmgraph-graphiql-v1:";
  var CREDENTIAL = "crmgraph.credential"; // set by /explore, sessionStorage only

  function prefixedStorage() {
    var keys = function () {
      var out = [];
      for (var i = 0; i < localStorage.length; i++) {
        var k = localStorage.key(i);
        if (k && k.indexOf(PREFIX) === 0) out.push(k.slice(PREFIX.length));
      }
      return out;
    };
    return {
      getItem: function (k) { return localStorage.getItem(PREFIX + k); },
      setItem: function (k, v) { localStorage.setItem(PREFIX + k, v); },
      removeItem: function (k) { localStorage.removeItem(PREFIX + k); },
      clear: function () { keys().forEach(function (k) { localStorage.removeItem(PREFIX + k); }); },
      key: function (i) { return keys()[i] || null; },
      get length() { return keys().length; },
    };
  }

  var params = new URLSearchParams(window.location.search);
  var tabs = JSON.parse(document.getElementById("crmgraph-tabs").textContent);
  var credential = null;
  try { credential = sessionStorage.getItem(CREDENTIAL); } catch (e) { /* storage off */ }
  var headers = credential ? JSON.stringify({ Authorization: "Bearer " + credential }, null, 2) : undefined;
  if (headers) tabs.forEach(function (tab) { tab.headers = headers; });

  // /explore's "Open in GraphiQL" passes its document as ?q=...&variables=...
  var query = params.get("q") || undefined;
  var variables = params.get("variables") || undefined;
  var storage = prefixedStorage();
  if (query) {
    tabs.unshift({ query: query, variables: variables, headers: headers });
  } else if (!storage.getItem("graphiql:tabState")) {
    // First visit: GraphiQL fills the editors of the first tab from these (without them
    // its variables editor starts empty); later visits reopen the saved tabs as they were.
    query = tabs[0].query;
    variables = tabs[0].variables;
  }

  var fetcher = GraphiQL.createFetcher({ url: window.location.origin + "/graphql" });
  var explorer = GraphiQLPluginExplorer.explorerPlugin();

  function App() {
    return React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultTabs: tabs,
      query: query,
      variables: variables,
      defaultHeaders: headers,
      defaultEditorToolsVisibility: true,
      plugins: [explorer],
      storage: storage,
      inputValueDeprecation: true,
      isHeadersEditorEnabled: true,
      shouldPersistHeaders: false, // a key typed into the headers editor is never saved
    });
  }

  ReactDOM.createRoot(document.getElementById("graphiql")).render(React.createElement(App));
})();
