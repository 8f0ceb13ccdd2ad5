/* Import pages: send the upload form to the API, then follow the job (progress, report,
   commit). Plain JS, no dependencies; texts come translated from the page (#import-labels). */
(function () {
  "use strict";
  var labelsNode = document.getElementById("import-labels");
  var L = labelsNode ? JSON.parse(labelsNode.textContent) : {};

  function csrf(root) {
    var input = root.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }
  function el(tag, text) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }
  function row(cells, head) {
    var tr = el("tr");
    cells.forEach(function (c) { tr.appendChild(el(head ? "th" : "td", c)); });
    return tr;
  }
  function problem(body) {
    if (!body) return L.failed_upload;
    var text = body.detail || L.failed_upload;
    return body.field ? body.field + ": " + text : text;
  }

  // --- the upload form ---------------------------------------------------------------------
  var form = document.getElementById("import-form");
  if (form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var error = document.getElementById("import-error");
      var button = form.querySelector("button[type=submit]");
      error.hidden = true;
      button.disabled = true;
      button.textContent = L.uploading;
      fetch(form.dataset.api, {
        method: "POST",
        body: new FormData(form),
        headers: { "X-CSRFToken": csrf(form), "Accept": "application/json" },
        credentials: "same-origin",
      }).then(function (response) {
        return response.json().catch(function () { return null; }).then(function (body) {
          if (response.status === 202 && body && body.id) {
            window.location.href = form.dataset.jobUrl + body.id + "/";
            return;
          }
          error.textContent = problem(body);
          error.hidden = false;
          button.disabled = false;
          button.textContent = button.dataset.label;
        });
      }).catch(function () {
        error.textContent = L.network;
        error.hidden = false;
        button.disabled = false;
      });
    });
    var submit = form.querySelector("button[type=submit]");
    submit.dataset.label = submit.textContent;
  }

  // --- the job page ------------------------------------------------------------------------
  var section = document.getElementById("import-job");
  if (!section) return;
  var api = section.dataset.api;
  var bar = document.getElementById("job-progress");
  var statusNode = document.getElementById("job-status");
  var stageNode = document.getElementById("job-stage");
  var errorNode = document.getElementById("job-error");
  var commitButton = document.getElementById("job-commit");
  var shown = false;

  function showReport(job) {
    var report = job.report || {};
    var source = report.source || {};
    var facts = document.getElementById("job-source");
    facts.textContent = "";
    [
      [L.format, source.format || job.format],
      [L.crs, source.crs ? source.crs + " (" + (source.crs_source || "") + ")" : ""],
      [L.encoding, source.encoding ? source.encoding + " (" + (source.encoding_source || "") + ")" : ""],
      [L.rows, (report.counts || {}).rows],
    ].forEach(function (pair) {
      if (pair[1] === undefined || pair[1] === null || pair[1] === "") return;
      facts.appendChild(el("dt", pair[0]));
      facts.appendChild(el("dd", pair[1]));
    });
    var classes = document.getElementById("job-classes");
    classes.textContent = "";
    classes.appendChild(row([L["class"], L.insert, L.update, L.skip, L.error], true));
    var byClass = report.by_class || {};
    Object.keys(byClass).forEach(function (code) {
      var c = byClass[code];
      classes.appendChild(row([code, c.insert || 0, c.update || 0, c.skip || 0, c.error || 0]));
    });
    var errors = document.getElementById("job-errors");
    errors.textContent = "";
    var list = report.errors || [];
    if (!list.length) {
      errors.appendChild(row([L.no_errors]));
    } else {
      errors.appendChild(row([L.row, L.field, L.message], true));
      list.slice(0, 50).forEach(function (e) { errors.appendChild(row([e.row, e.field, e.message])); });
      if ((report.errors_total || 0) > list.length) {
        errors.appendChild(row([report.errors_total + " " + L.more_errors]));
      }
    }
    var rejected = document.getElementById("job-rejected");
    rejected.textContent = "";
    if (job.urls && job.urls.rejected) {
      var link = el("a", L.rejected);
      link.href = job.urls.rejected;
      rejected.appendChild(link);
    }
    document.getElementById("job-report").hidden = false;
  }

  function render(job) {
    var percent = (job.progress && job.progress.percent) || 0;
    bar.value = percent;
    statusNode.textContent = job.status_display;
    var stage = job.progress ? job.progress.stage : "";
    var done = job.progress ? job.progress.done : 0;
    stageNode.textContent = job.state === "finished" ? "" :
      (L[stage] || stage) + (done ? " · " + done + " " + L.rows : "") + " · " + percent + "%";
    if (job.error) {
      errorNode.textContent = job.error;
      errorNode.hidden = false;
    }
    if (job.state === "finished" && !shown) {
      shown = true;
      showReport(job);
      commitButton.hidden = !(job.urls && job.urls.commit);
    }
    return job.state === "finished";
  }

  function poll(delay) {
    fetch(api, { headers: { "Accept": "application/json" }, credentials: "same-origin" })
      .then(function (response) { return response.json(); })
      .then(function (job) {
        if (!render(job)) window.setTimeout(function () { poll(1000); }, delay);
      })
      .catch(function () {
        stageNode.textContent = L.network;
        window.setTimeout(function () { poll(Math.min(delay * 2, 10000)); }, delay);
      });
  }

  commitButton.addEventListener("click", function () {
    commitButton.disabled = true;
    fetch(api + "commit/", {
      method: "POST",
      headers: { "X-CSRFToken": csrf(section), "Accept": "application/json" },
      credentials: "same-origin",
    }).then(function (response) {
      return response.json().then(function (body) {
        var result = document.getElementById("job-commit-result");
        result.textContent = "";
        if (response.status === 202) {
          var link = el("a", L.commit_job + " #" + body.id);
          link.href = section.dataset.jobUrl + body.id + "/";
          result.appendChild(document.createTextNode(L.committing + " "));
          result.appendChild(link);
          window.location.href = link.href;
        } else {
          result.textContent = problem(body);
          commitButton.disabled = false;
        }
      });
    });
  });

  poll(1000);
})();
