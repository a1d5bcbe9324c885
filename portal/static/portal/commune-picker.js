// The birth commune picker, enhanced: as the holder types, the browser's own suggestion list (a <datalist>)
// offers the matching communes with their département. Picking one fills « Saint-Denis 974 », which the server
// takes at once. Without this script the page works the same way, one submit later.
document.addEventListener("DOMContentLoaded", function () {
  var input = document.querySelector("[data-commune-suggestions]");
  if (!input || !window.fetch) {
    return;
  }
  var list = document.createElement("datalist");
  list.id = input.id + "_suggestions";
  input.insertAdjacentElement("afterend", list);
  input.setAttribute("list", list.id);
  var timer = null;
  var asked = "";
  input.addEventListener("input", function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(function () {
      var query = input.value.trim();
      if (query.length < 2 || query === asked) {
        return;
      }
      asked = query;
      var url = input.getAttribute("data-commune-suggestions") + "?q=" + encodeURIComponent(query);
      window
        .fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) {
          return response.ok ? response.json() : { communes: [] };
        })
        .then(function (answer) {
          if (query !== asked) {
            return;
          }
          list.textContent = "";
          answer.communes.forEach(function (commune) {
            var option = document.createElement("option");
            option.value = commune.value;
            option.textContent = commune.label;
            list.appendChild(option);
          });
        })
        .catch(function () {
          // No suggestions: the form still works through the server.
        });
    }, 250);
  });
});
