// The old address of the stations page (issue 8): the page is now the #/stations view of the web UI
// (views/stations.js). Replace, not push, so that Back does not return here and bounce forward again.
location.replace('/#/stations');
