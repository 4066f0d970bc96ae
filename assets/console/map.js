// The risk map (风险隐患图): the open hazards the server listed, drawn with Leaflet over the
// configured tiles, or over nothing when none are configured. Without JavaScript the page keeps
// the server's own drawing of the same points.
(function () {
  'use strict';
  var element = document.getElementById('risk-map');
  if (!element || !window.L) { return; }
  var colours = { major: '#b3261e', general: '#d98c00' };
  function popup(feature) {
    var p = feature.properties || {};
    var box = document.createElement('div');
    var name = document.createElement('b');
    name.textContent = p.enterprise_name || '';
    var text = document.createElement('p');
    text.textContent = (p.level === 'major' ? '重大隐患：' : '一般隐患：') + (p.description || '');
    var link = document.createElement('a');
    link.href = '/console/hazards/' + encodeURIComponent(feature.id);
    link.textContent = '查看隐患';
    box.appendChild(name);
    box.appendChild(text);
    box.appendChild(link);
    return box;
  }
  fetch(element.getAttribute('data-geojson'), { credentials: 'same-origin' })
    .then(function (response) { return response.json(); })
    .then(function (data) {
      element.textContent = '';
      var tiles = element.getAttribute('data-tiles');
      var map = L.map(element, { attributionControl: Boolean(tiles) });
      if (tiles) { L.tileLayer(tiles, { maxZoom: 18 }).addTo(map); }
      var layer = L.geoJSON(data, {
        pointToLayer: function (feature, position) {
          var level = feature.properties && feature.properties.level;
          return L.circleMarker(position, {
            radius: 7, weight: 1, color: '#333', fillOpacity: 0.85,
            fillColor: colours[level] || colours.general
          });
        },
        onEachFeature: function (feature, marker) { marker.bindPopup(popup(feature)); }
      }).addTo(map);
      var bounds = layer.getBounds();
      if (bounds.isValid()) { map.fitBounds(bounds, { padding: [24, 24], maxZoom: 15 }); }
      else { map.setView([35, 105], 4); }
      element.setAttribute('data-ready', String(layer.getLayers().length));
    });
}());
