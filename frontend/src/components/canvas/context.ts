import { createContext } from "react";

/** What edges and nodes can ask of the canvas. */
export interface CanvasActions {
  /** Shows an edge's verdict and why. */
  showEdge(id: string): void;
}

export const CanvasContext = createContext<CanvasActions>({ showEdge: () => {} });
