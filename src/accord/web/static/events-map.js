/* Accord: the map of cooperation events. Country outlines (Natural Earth, shipped with
   Accord) drawn as a GeoJSON layer, no tile server; one marker per event from the page's
   JSON data island (only the events the viewer may see). No inline script: CSP. */
(function () {
  "use strict";

  function popup(event) {
    var box = document.createElement("div");
    var link = document.createElement("a");
    link.href = event.url;
    link.textContent = event.name;
    var line = document.createElement("div");
    line.className = "small";
    line.textContent = [event.type, event.when, event.place].filter(Boolean).join(" · ");
    box.appendChild(link);
    box.appendChild(line);
    return box;
  }

  function draw(holder) {
    var island = document.getElementById("events-data");
    var data = island ? JSON.parse(island.textContent) : { events: [] };
    var map = L.map(holder, {
      attributionControl: false,
      minZoom: 1,
      maxZoom: 10,
      worldCopyJump: true,
      zoomSnap: 0.5
    });
    map.setView([45, 30], 3);
    holder._accordMap = map;

    var markers = [];
    data.events.forEach(function (event) {
      var marker = L.marker([event.lat, event.lon], { title: event.name, alt: event.name });
      marker.bindPopup(popup(event));
      marker.addTo(map);
      markers.push(marker);
    });
    if (markers.length === 1) {
      map.setView(markers[0].getLatLng(), 5);
    } else if (markers.length > 1) {
      map.fitBounds(L.featureGroup(markers).getBounds().pad(0.3), { maxZoom: 6 });
    }

    fetch(holder.getAttribute("data-outlines"), { credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) { throw new Error("outlines: " + response.status); }
        return response.json();
      })
      .then(function (topology) {
        var countries = topojson.feature(topology, topology.objects.countries);
        L.geoJSON(countries, {
          interactive: false,
          style: { color: "#7a8794", weight: 0.7, fillColor: "#e9edf1", fillOpacity: 1 }
        }).addTo(map);
        holder.setAttribute("data-outlines-drawn", "true");
      })
      .catch(function (error) {
        holder.setAttribute("data-outlines-error", String(error));
      });
  }

  function start() {
    var holder = document.getElementById("events-map");
    if (holder && window.L && window.topojson) { draw(holder); }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
