// A SCHEMATIC outline of Bình Thuận province (the demo's province) for the stations map (issue 8).
// Hand-made from a few known places (Vĩnh Tân, Liên Hương, Phan Rí Cửa, Mũi Né, Phan Thiết, Kê Gà,
// La Gi, the Bà Rịa–Vũng Tàu border, the Đồng Nai and Lâm Đồng borders inland), about 0.05° apart
// at best: it only tells "where in the province" a station is. It is NOT survey data and must
// not be used to decide whether a point lies inside the province. Points: [latitude, longitude].
// A deployment for another province replaces this file (same shape) or leaves it out: the map
// then shows the coordinate grid alone.
window.METRONET_PROVINCE_OUTLINE = {
  name: 'Bình Thuận',
  note: 'schematic outline, not survey data',
  rings: [
    [
      // coast, north-east to south-west
      [11.36, 108.9],
      [11.27, 108.79],
      [11.21, 108.68],
      [11.17, 108.56],
      [11.07, 108.43],
      [10.95, 108.33],
      [10.93, 108.24],
      [10.92, 108.1],
      [10.82, 108.02],
      [10.7, 107.99],
      [10.66, 107.77],
      [10.57, 107.6],
      // inland, south-west to north-east
      [10.62, 107.45],
      [10.86, 107.4],
      [11.1, 107.38],
      [11.3, 107.5],
      [11.26, 107.75],
      [11.22, 107.95],
      [11.3, 108.15],
      [11.42, 108.35],
      [11.56, 108.55],
      [11.5, 108.75],
    ],
    // Phú Quý island
    [
      [10.55, 108.92],
      [10.53, 108.96],
      [10.5, 108.95],
      [10.51, 108.91],
    ],
  ],
};
