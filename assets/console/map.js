// The risk map (风险隐患图): the open hazards the server listed, drawn with Leaflet over the
// configured tiles, or over nothing when none are configured. Hazards of one enterprise share
// its position: they are one marker (red when any is major) whose popup lists them all.
// Without JavaScript the page keeps the server's own drawing of the same points.
(function () {
  'use strict';
  var element = document.getElementById('risk-map');
  if (!element || !window.L) { return; }
  function popup(group) {
    var box = document.createElement('div');
    var name = document.createElement('b');
    name.textContent = group.name;
    box.appendChild(name);
    var list = document.createElement('ul');
    group.hazards.forEach(function (feature) {
      var p = feature.properties || {};
      var item = document.createElement('li');
      var link = document.createElement('a');
      link.href = '/console/hazards/' + encodeURIComponent(feature.id);
      link.textContent = (p.level === 'major' ? '重大：' : '一般：') + (p.description || '');
      item.appendChild(link);
      list.appendChild(item);
    });
    box.appendChild(list);
    return box;
  }
  fetch(element.getAttribute('data-geojson'), { credentials: 'same-origin' })
    .then(function (response) { return response.json(); })
    .then(function (data) {
      var groups = {};
      (data.features || []).forEach(function (feature) {
        if (!feature.geometry) { return; }
        var at = feature.geometry.coordinates;
        var key = at[0] + ',' + at[1];
        var group = groups[key] || (groups[key] = {
          at: [at[1], at[0]], name: feature.properties.enterprise_name || '', hazards: [], major: false
        });
        group.hazards.push(feature);
        group.major = group.major || feature.properties.level === 'major';
      });
      element.textContent = '';
      var tiles = element.getAttribute('data-tiles');
      var map = L.map(element, { attributionControl: Boolean(tiles) });
      if (tiles) { L.tileLayer(tiles, { maxZoom: 18 }).addTo(map); }
      var markers = Object.keys(groups).map(function (key) {
        var group = groups[key];
        return L.circleMarker(group.at, {
          radius: Math.min(6 + group.hazards.length, 16), weight: 1, color: '#333', fillOpacity: 0.85,
          fillColor: group.major ? '#b3261e' : '#d98c00'
        }).bindPopup(popup(group));
      });
      var layer = L.featureGroup(markers).addTo(map);
      if (markers.length > 0) { map.fitBounds(layer.getBounds(), { padding: [24, 24], maxZoom: 15 }); }
      else { map.setView([35, 105], 4); }
      element.setAttribute('data-ready', String(markers.length));
    });
}());
