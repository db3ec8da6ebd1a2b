//! The map of a pool's address space: a block of addresses laid out on a Hilbert curve, so
//! that neighbouring addresses are neighbouring cells and every aligned CIDR is one square (or
//! a 2:1 rectangle). At most 2^12 cells are drawn however large the block: allocations at
//! least one cell large are one rectangle each, smaller ones are summed per cell. The SVG so
//! stays a few hundred kilobytes for any number of allocations.

use crate::engine::Cidr;
use crate::store::view::MapBlock;
use maud::{html, Markup};
use std::collections::BTreeMap;

/// log2 of the most cells a map draws (64 × 64).
pub const MAX_CELL_BITS: u32 = 12;

/// How a block of addresses maps to cells.
#[derive(Clone, Copy, Debug)]
pub struct Layout {
    pub view: Cidr,
    /// log2 of the number of cells.
    pub m: u32,
    /// log2 of the addresses per cell.
    pub cell_bits: u32,
    /// Side of one Hilbert square, in cells; an odd `m` puts two squares side by side.
    side: u64,
    squares: u64,
}

impl Layout {
    pub fn new(view: Cidr) -> Layout {
        let e = u32::from(view.family().bits() - view.prefix_len());
        let m = e.min(MAX_CELL_BITS);
        Layout {
            view,
            m,
            cell_bits: e - m,
            side: 1 << (m / 2),
            squares: if m % 2 == 1 { 2 } else { 1 },
        }
    }

    pub fn width(&self) -> u64 {
        self.side * self.squares
    }

    pub fn height(&self) -> u64 {
        self.side
    }

    /// Prefix length of one cell.
    pub fn cell_len(&self) -> u8 {
        self.view.prefix_len() + self.m as u8
    }

    /// The block one cell covers.
    pub fn cell_cidr(&self, i: u64) -> Cidr {
        let start = self.view.start() + (u128::from(i) << self.cell_bits);
        Cidr::from_start(self.view.family(), start, self.cell_len())
    }

    fn cell_xy(&self, i: u64) -> (u64, u64) {
        let per = self.side * self.side;
        let (x, y) = d2xy(self.side, i % per);
        (x + (i / per) * self.side, y)
    }

    /// The rectangle (x, y, w, h), in cells, of the aligned run of 2^k cells from cell `i`.
    fn rect(&self, i: u64, k: u32) -> (u64, u64, u64, u64) {
        if k.is_multiple_of(2) {
            let s = 1u64 << (k / 2);
            let (x, y) = self.cell_xy(i);
            (x & !(s - 1), y & !(s - 1), s, s)
        } else {
            // Two consecutive squares of the curve, which are always adjacent.
            let a = self.rect(i, k - 1);
            let b = self.rect(i + (1 << (k - 1)), k - 1);
            let (x0, y0) = (a.0.min(b.0), a.1.min(b.1));
            let (x1, y1) = ((a.0 + a.2).max(b.0 + b.2), (a.1 + a.3).max(b.1 + b.3));
            (x0, y0, x1 - x0, y1 - y0)
        }
    }
}

/// Cell `d` of a Hilbert curve over an `n` × `n` grid (`n` a power of two).
fn d2xy(n: u64, d: u64) -> (u64, u64) {
    let (mut x, mut y, mut t) = (0u64, 0u64, d);
    let mut s = 1u64;
    while s < n {
        let rx = 1 & (t / 2);
        let ry = 1 & (t ^ rx);
        if ry == 0 {
            if rx == 1 {
                x = s - 1 - x;
                y = s - 1 - y;
            }
            std::mem::swap(&mut x, &mut y);
        }
        x += s * rx;
        y += s * ry;
        t /= 4;
        s *= 2;
    }
    (x, y)
}

/// What holds a block, as the map colours it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Holder {
    Allocated,
    Reserved,
    ChildPool,
}

impl Holder {
    fn of(b: &MapBlock) -> Holder {
        if b.reserved {
            Holder::Reserved
        } else if b.child_pool {
            Holder::ChildPool
        } else {
            Holder::Allocated
        }
    }

    pub fn class(self) -> &'static str {
        match self {
            Holder::Allocated => "alloc",
            Holder::Reserved => "resv",
            Holder::ChildPool => "child",
        }
    }
}

/// Small allocations summed in one cell.
#[derive(Default)]
struct Cell {
    used: BTreeMap<Holder, u128>,
    count: u64,
    first: Option<Cidr>,
}

/// The smallest view worth showing for `blocks` inside `root`: the root itself, unless every
/// block would fall into one cell (a few /64s in an IPv6 /32), then the block around them.
pub fn sensible_view(root: Cidr, blocks: &[MapBlock]) -> Cidr {
    let layout = Layout::new(root);
    let (Some(first), Some(last)) = (blocks.first(), blocks.last()) else {
        return root;
    };
    let family = root.family();
    let bits = u32::from(family.bits());
    let hi = last.start + (crate::engine::block_size(family, last.len) - 1);
    let same = ((first.start ^ hi) << (128 - bits))
        .leading_zeros()
        .min(bits) as u8;
    if same < layout.cell_len() {
        return root;
    }
    // Four bits of room around the blocks, so they are seen among their neighbours.
    Cidr::from_start(
        family,
        first.start,
        same.saturating_sub(4).max(root.prefix_len()),
    )
}

/// The view one step out from `view` inside `root`: the block whose map has `view` as one
/// cell (clicking a cell zooms in by as much), or `root` when that is larger.
pub fn zoom_out(root: Cidr, view: Cidr) -> Cidr {
    let len = view
        .prefix_len()
        .saturating_sub(MAX_CELL_BITS as u8)
        .max(root.prefix_len());
    Cidr::from_start(view.family(), view.start(), len)
}

/// The SVG of `layout` with `blocks` (the pool's allocations inside the view, address order).
/// Every drawn element carries what the pointer's caption says about it in data attributes.
pub fn render(layout: &Layout, blocks: &[MapBlock]) -> Markup {
    let family = layout.view.family();
    let bits = u32::from(family.bits());
    let mut cells: BTreeMap<u64, Cell> = BTreeMap::new();
    let mut whole = Vec::new();
    for b in blocks {
        let size_bits = bits - u32::from(b.len);
        let offset = b.start.saturating_sub(layout.view.start());
        let i = (offset >> layout.cell_bits) as u64;
        if size_bits >= layout.cell_bits {
            let k = (size_bits - layout.cell_bits).min(layout.m);
            whole.push((b, layout.rect(i, k)));
        } else {
            let c = cells.entry(i).or_default();
            *c.used.entry(Holder::of(b)).or_default() += 1u128 << size_bits;
            c.count += 1;
            c.first
                .get_or_insert(Cidr::from_start(family, b.start, b.len));
        }
    }
    let cell_size = 1u128 << layout.cell_bits;
    html! {
        svg.map xmlns="http://www.w3.org/2000/svg" viewBox={"0 0 " (layout.width()) " " (layout.height())}
            preserveAspectRatio="xMidYMid meet" role="img"
            aria-label={"map of " (layout.view)} data-view=(layout.view.to_string())
            data-cell-len=(layout.cell_len()) {
            rect.free x="0" y="0" width=(layout.width()) height=(layout.height())
                data-c=(layout.view.to_string()) data-free="1" {}
            @for (b, (x, y, w, h)) in &whole {
                @let cidr = Cidr::from_start(family, b.start, b.len);
                @let holder = Holder::of(b);
                @let (id, resource, description) = b.detail.clone().unwrap_or_default();
                rect class={"blk " (holder.class())} x=(x) y=(y) width=(w) height=(h)
                    data-c=(cidr.to_string()) data-id=(id) data-r=[resource.as_deref()]
                    data-d=[description.as_deref()] data-k=(holder.class()) {}
            }
            @for (i, c) in &cells {
                @let (x, y, _, _) = layout.rect(*i, 0);
                @let used: u128 = c.used.values().sum();
                @let holder = c.used.iter().max_by_key(|(_, n)| **n).map(|(h, _)| *h).unwrap_or(Holder::Allocated);
                @let fill = crate::store::utilization_percent(used, cell_size);
                rect class={"cell " (holder.class())} x=(x) y=(y) width="1" height="1"
                    fill-opacity=(format!("{:.2}", 0.3 + 0.7 * fill / 100.0))
                    data-c=(layout.cell_cidr(*i).to_string()) data-n=(c.count)
                    data-u=(super::format::percent(fill))
                    data-f=[c.first.map(|f| f.to_string())] data-k=(holder.class()) {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block(c: &str, child_pool: bool) -> MapBlock {
        let c = Cidr::parse(c).unwrap();
        MapBlock {
            start: c.start(),
            len: c.prefix_len(),
            child_pool,
            reserved: false,
            detail: Some(("ipam-pool-alloc-1".into(), None, None)),
        }
    }

    #[test]
    fn curve_visits_every_cell_once_and_steps_to_neighbours() {
        for n in [1u64, 2, 4, 8, 64] {
            let mut seen = std::collections::HashSet::new();
            let mut prev: Option<(u64, u64)> = None;
            for d in 0..n * n {
                let p = d2xy(n, d);
                assert!(p.0 < n && p.1 < n);
                assert!(seen.insert(p));
                if let Some(q) = prev {
                    assert_eq!(p.0.abs_diff(q.0) + p.1.abs_diff(q.1), 1);
                }
                prev = Some(p);
            }
        }
    }

    #[test]
    fn aligned_blocks_are_rectangles_covering_their_cells() {
        for view in ["10.0.0.0/16", "10.0.0.0/17", "10.0.0.0/28", "2001:db8::/32"] {
            let l = Layout::new(Cidr::parse(view).unwrap());
            for k in 0..=l.m {
                for i in (0..(1u64 << l.m)).step_by(1 << k).take(16) {
                    let (x, y, w, h) = l.rect(i, k);
                    assert_eq!(w * h, 1 << k, "{view} k={k}");
                    for j in i..i + (1 << k) {
                        let (cx, cy) = l.cell_xy(j);
                        assert!(cx >= x && cx < x + w && cy >= y && cy < y + h);
                    }
                }
            }
        }
    }

    #[test]
    fn many_small_allocations_stay_small() {
        let view = Cidr::parse("10.0.0.0/8").unwrap();
        let blocks: Vec<MapBlock> = (0..100_000u128)
            .map(|i| {
                let mut b = block("10.0.0.0/28", false);
                b.start += i * 16;
                b.detail = None;
                b
            })
            .collect();
        let svg = render(&Layout::new(view), &blocks).into_string();
        assert!(svg.len() < 400_000, "{} bytes", svg.len());
        assert_eq!(svg.matches("class=\"cell").count(), 391);
    }

    #[test]
    fn zooming_out_is_the_inverse_of_clicking_a_cell() {
        let root = Cidr::parse("2001:db8::/32").unwrap();
        let cell = Layout::new(root).cell_cidr(5);
        assert_eq!(cell.prefix_len(), 44);
        assert_eq!(zoom_out(root, cell), root);
        let deep = Layout::new(cell).cell_cidr(7);
        assert_eq!(zoom_out(root, deep), cell);
    }

    #[test]
    fn sensible_view_zooms_on_a_few_small_ipv6_blocks() {
        let root = Cidr::parse("2001:db8::/32").unwrap();
        let blocks = vec![
            block("2001:db8:0:1::/64", false),
            block("2001:db8:0:2::/64", false),
        ];
        assert_eq!(sensible_view(root, &blocks).to_string(), "2001:db8::/58");
        let v4 = Cidr::parse("10.0.0.0/16").unwrap();
        assert_eq!(sensible_view(v4, &[block("10.0.1.0/24", false)]), v4);
    }
}
